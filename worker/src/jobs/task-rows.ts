/** Status rows and task events built from stored tasks. */
import type { ITaskEvent } from '../domain/ports';
import type { IJobRun, IStatusRow, ITask } from '../domain/types';
import type { ITaskSummaryDoc } from '../storage/task-store';

type TaskLike = Pick<ITask, 'job' | 'task_group' | 'job_id' | 'task_id' | 'state' | 'run_status' | 'job_runs'> & {
  worker?: string | null;
};

function lastRun(t: TaskLike): IJobRun | undefined {
  return t.job_runs.length > 0 ? t.job_runs[t.job_runs.length - 1] : undefined;
}

/** One `status()` row; duration, message and result notebook come from the last run. */
export function statusRow(doc: ITaskSummaryDoc): IStatusRow {
  const run = lastRun(doc);
  return {
    name: doc._id,
    task_id: doc.task_id,
    status: doc.state,
    run_status: doc.run_status,
    task_group: doc.task_group,
    job_id: doc.job_id,
    duration: run ? run.duration : null,
    worker: doc.worker ?? run?.worker ?? null,
    message: run ? run.message : '',
    results: run ? run.results : null
  };
}

/** The event announcing a task's current state. */
export function taskEvent(task: TaskLike & { name: string }): ITaskEvent {
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
    duration: run ? run.duration : null
  };
}
