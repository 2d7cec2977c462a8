/** The rows of `status()`, built from a task's state. */
import type { IJobRun, IStatusRow, ITask } from './types';

/** What a status row or a task event is made of. */
export type TaskRowSource = Pick<ITask, 'name' | 'job' | 'task_group' | 'job_id' | 'task_id' | 'state' | 'run_status' | 'job_runs'> & {
  worker?: string | null;
  cached_from?: string;
  reduce_of?: ITask['reduce_of'];
};

/** The task's last run, if it ran. */
export function lastRun(t: Pick<ITask, 'job_runs'>): IJobRun | undefined {
  return t.job_runs.length > 0 ? t.job_runs[t.job_runs.length - 1] : undefined;
}

/** One `status()` row; duration, message and result notebook come from the last run. */
export function statusRow(task: Omit<TaskRowSource, 'job'>): IStatusRow {
  const run = lastRun(task);
  return {
    name: task.name,
    task_id: task.task_id,
    status: task.state,
    run_status: task.run_status,
    task_group: task.task_group,
    job_id: task.job_id,
    duration: run ? run.duration : null,
    worker: task.worker ?? run?.worker ?? null,
    message: run ? run.message : '',
    results: run ? run.results : null,
    ...(task.cached_from ? { cached_from: task.cached_from } : {}),
    gpus: run?.gpus ?? null
  };
}
