/**
 * What a worker's task handler needs of storage while it runs a task (implemented by storage).
 * Every write is conditional on the task's current Celery id and state, so a redelivered or
 * outdated message changes nothing it should not.
 */
import type { IRenderedTask } from './task-repository';
import type { IJobRun, ITask, JsonValue } from './types';

/** What recording a run needs to know of its task besides the name (fixed when the map was made). */
export type ITaskRef = Pick<ITask, 'name' | 'job' | 'task_group' | 'job_id'>;

export interface IRunRecorder {
  /** The task notebook of `taskName` (`.ipynb` optional) and its task. @throws NotFoundError */
  renderTask(taskName: string): Promise<IRenderedTask>;
  /** A task by name (`.ipynb` optional). @throws NotFoundError */
  get(taskName: string): Promise<ITask>;
  /**
   * A worker started `taskId`. Null when the task has another current id, or already finished or
   * was revoked: the caller should then not run it.
   */
  markStarted(taskName: string, taskId: string, worker: string): Promise<ITask | null>;
  /**
   * Record one run: store the result notebook (when given), append `run` to `job_runs`, and — when
   * `run.task_id` is the task's current id and the task is still active — set its outcome and, on
   * OK, the returned value. Recording the same `task_id` + `attempt` again changes nothing.
   * Returns the updated task when this call changed its state, else null.
   */
  recordRun(task: string | ITaskRef, run: IJobRun, resultNotebook: unknown | null, resultValue: JsonValue | undefined): Promise<ITask | null>;
  /**
   * Append a run that was lost (its worker died mid-run and the message was redelivered) to the
   * history without touching the state. Recording the same task id + attempt twice adds it once.
   */
  recordLostAttempt(taskName: string, run: IJobRun): Promise<void>;
  /**
   * Append a run that an infrastructure failure cut short (the Kernel Gateway became unreachable)
   * and put the task back to PENDING for its retry, if it is still STARTED with `run.task_id`.
   * Recording the same task id + attempt twice adds it once. Resolves with the task, or null when
   * it changed meanwhile.
   */
  recordInfraAttempt(taskName: string, run: IJobRun): Promise<ITask | null>;
}
