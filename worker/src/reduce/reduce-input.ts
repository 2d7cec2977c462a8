/**
 * The input of a reduce task as JSON text: `{"task_group", "params", "results", "status",
 * "failed"}` in parameter order, each parameter and returned value spliced in as stored (JSON
 * text), so numbers and key order reach the reduce notebook exactly as the tasks had them.
 */
import type { IExactTask } from '../domain/task-repository';

/** JSON text of the reduce input of group `taskGroup` from its tasks (in `job_id` order). */
export function reduceInputJson(taskGroup: string, tasks: IExactTask[]): string {
  const sorted = [...tasks].sort((a, b) => a.task.job_id - b.task.job_id);
  const params = sorted.map((t) => t.param.text);
  const results = sorted.map((t) => (t.task.run_status === 'OK' && t.result ? t.result.text : 'null'));
  const status = sorted.map((t) => JSON.stringify(t.task.state));
  const failed = sorted.filter((t) => t.task.run_status !== 'OK').map((t) => String(t.task.job_id));
  return (
    `{"task_group": ${JSON.stringify(taskGroup)}, "params": [${params.join(', ')}], "results": [${results.join(', ')}], ` +
    `"status": [${status.join(', ')}], "failed": [${failed.join(', ')}]}`
  );
}
