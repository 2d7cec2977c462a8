/**
 * The state of a task as the job service and status listings see it: everything stored about a
 * task except its parameter and returned value (which can be large), and which queue states a
 * task can still leave.
 */
import type { ITask } from './types';
import { isActiveState } from './queue-states';

/** The queue-state sets are defined once, in `queue-states.ts`. */
export { ACTIVE_STATES } from './queue-states';

/** Whether a task in `state` is queued or running, so restart and cancel must revoke its message. */
export const isActive = isActiveState;

/** A task without its parameter and returned value: what status, restart and cancel read. */
export type ITaskSummary = Omit<ITask, 'param' | 'result'> & {
  /** Attempt number of the current `task_id` (1 on the first map, +1 per restart). */
  attempt: number;
};
