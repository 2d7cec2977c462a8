/**
 * What the task reconciler needs of storage (implemented by `storage/stuck-tasks.ts`): tasks that
 * have not changed for a while although they are queued or running, and a repair that only
 * applies when the task is still exactly as it was found.
 */
import type { IStuckTaskRef } from './run-recorder';
import type { ITaskSummary } from './task-state';
import type { IJobRun, ITask } from './types';

/** One page of the queued or running tasks (see {@link IStuckTaskStore.unchangedSince}). */
export interface IStuckTaskPage {
  /** The tasks of the page that are PENDING, RETRY or STARTED and unchanged since `before`. */
  tasks: ITaskSummary[];
  /** Where the next page starts, when this one was full; absent after the last page. */
  next?: string;
}

export interface IStuckTaskStore {
  /**
   * One page of at most `limit` queued or running tasks (PENDING, RETRY or STARTED), starting
   * where the page that returned `after` as its `next` stopped (from the start without it), with
   * the ones whose last change (`updated`, ISO time) is before `before`. Its cost grows with the
   * page, not with the tasks stored.
   */
  unchangedSince(before: string, limit: number, after?: string): Promise<IStuckTaskPage>;
  /**
   * End a task FAILURE / ERROR with `run` appended to its history, only if its task id, state and
   * last change are still those of `task`. Returns the repaired task, or null when it had changed.
   * `resultNotebook`, when given, is stored as the run's result notebook (a lost run's outputs so far).
   */
  failStuck(task: IStuckTaskRef, run: IJobRun, resultNotebook?: unknown): Promise<ITask | null>;
}
