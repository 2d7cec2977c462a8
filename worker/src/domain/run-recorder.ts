/**
 * What a worker's task handler needs of storage while it runs a task (implemented by storage).
 * Every write is conditional on the task's current Celery id and state, so a redelivered or
 * outdated message changes nothing it should not.
 */
import { InvalidInputError } from './errors';
import type { JsonText } from './json-bytes';
import type { IRenderedTask } from './task-repository';
import type { ITaskSummary } from './task-state';
import type { IJobRun, ITask, JsonValue } from './types';

/**
 * Largest returned value (JSON bytes) stored with a task. A task document holds the parameter
 * (at most 4 MB), the bounded run history and this value, and MongoDB refuses documents over
 * 16 MB. @defaultValue 6 MB
 */
export const MAX_RESULT_BYTES = 6 * 1024 * 1024;

/** The error recording a run raises for a returned value over {@link MAX_RESULT_BYTES}. */
export function resultTooLarge(bytes: number): InvalidInputError {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return new InvalidInputError(
    `the returned value is ${mb(bytes)} of JSON (${bytes} bytes); at most ${mb(MAX_RESULT_BYTES)} can be stored with a task: ` +
      'save large data elsewhere (a file or a dataset) and return its name'
  );
}

/** What a repair of a stuck task checks is unchanged since the task was found stuck. */
export type IStuckTaskRef = Pick<ITaskSummary, 'name' | 'task_id' | 'state' | 'updated'>;
/** What recording a run needs to know of its task besides the name (fixed when the map was made). */
export type ITaskRef = Pick<ITask, 'name' | 'job' | 'task_group' | 'job_id'>;

/** How a lost attempt is recorded (`IRunRecorder.recordLostAttempt`). */
export interface ILostAttemptOptions {
  /** Only while the task is still STARTED under the run's task id. */
  whileStarted?: boolean;
  /** The notebook as far as the attempt got, stored as the run's result notebook. */
  resultNotebook?: unknown;
}

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
   * OK, the returned value (as `JsonText`: stored byte for byte). Recording the same `task_id` +
   * `attempt` again changes nothing. Returns the updated task when this call changed its state, else null.
   */
  recordRun(task: string | ITaskRef, run: IJobRun, resultNotebook: unknown | null, resultValue: JsonValue | JsonText | undefined): Promise<ITask | null>;
  /**
   * Append a run that was lost (its worker died mid-run and the message was redelivered) to the
   * history without touching the state. Recording the same task id + attempt twice adds it once.
   * With `whileStarted`, only while the task is still STARTED under `run.task_id`: a redelivery
   * that read it STARTED just before the first delivery recorded its run lost nothing.
   * `resultNotebook`, when given, is the notebook as far as that attempt got (its partial
   * notebook): stored as the run's result notebook.
   */
  recordLostAttempt(taskName: string, run: IJobRun, options?: ILostAttemptOptions): Promise<void>;
  /**
   * Append a run that an infrastructure failure cut short (the Kernel Gateway became unreachable)
   * and put the task back to PENDING for its retry, if it is still STARTED with `run.task_id`.
   * Recording the same task id + attempt twice adds it once. Resolves with the task, or null when
   * it changed meanwhile.
   */
  recordInfraAttempt(taskName: string, run: IJobRun): Promise<ITask | null>;
}
