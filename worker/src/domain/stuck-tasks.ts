/**
 * What the task reconciler needs of storage (implemented by `storage/stuck-tasks.ts`): tasks that
 * have not changed for a while although they are queued or running, and a repair that only
 * applies when the task is still exactly as it was found.
 */
import type { IStuckTaskRef } from './run-recorder';
import type { ITaskSummary } from './task-state';
import type { IJobRun, ITask } from './types';

export interface IStuckTaskStore {
  /**
   * Up to `limit` tasks PENDING, RETRY or STARTED whose last change (`updated`, ISO time) is
   * before `before` and, when given, after `after`; oldest first.
   */
  unchangedSince(before: string, limit: number, after?: string): Promise<ITaskSummary[]>;
  /**
   * End a task FAILURE / ERROR with `run` appended to its history, only if its task id, state and
   * last change are still those of `task`. Returns the repaired task, or null when it had changed.
   */
  failStuck(task: IStuckTaskRef, run: IJobRun): Promise<ITask | null>;
}
