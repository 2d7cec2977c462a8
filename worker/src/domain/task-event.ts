/** The event announcing a task's state change (`/api/events`, the JupyterLab panel). */
import type { ITaskEvent } from './ports';
import { lastRun, type TaskRowSource } from './status-row';

/** The event announcing a task's current state; message, worker and duration as in its status row. */
export function taskEvent(task: TaskRowSource): ITaskEvent {
  const run = lastRun(task);
  return {
    name: task.name,
    job: task.job,
    task_group: task.task_group,
    job_id: task.job_id,
    task_id: task.task_id,
    status: task.state,
    run_status: task.run_status,
    message: run ? run.message : '',
    worker: task.worker ?? run?.worker ?? null,
    duration: run ? run.duration : null,
    ...(task.reduce_of ? { reduce_of: task.reduce_of } : {})
  };
}
