/**
 * The state of a task as the job service and status listings see it: everything stored about a
 * task except its parameter and returned value (which can be large), and which queue states a
 * task can still leave.
 */
import type { ITask, QueueState } from './types';

/** States a task can still leave by being picked up by a worker. */
export const ACTIVE_STATES: readonly QueueState[] = ['PENDING', 'STARTED', 'RETRY'];

/** Whether a task in `state` is queued or running, so restart and cancel must revoke its message. */
export function isActive(state: QueueState): boolean {
  return ACTIVE_STATES.includes(state);
}

/** A task without its parameter and returned value: what status, restart and cancel read. */
export type ITaskSummary = Omit<ITask, 'param' | 'result'> & {
  /** Attempt number of the current `task_id` (1 on the first map, +1 per restart). */
  attempt: number;
};
