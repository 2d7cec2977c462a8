/**
 * The queue states of a task and the two sets the rest of nbgrid reasons with. This is the one
 * place they are defined: the schemas, storage, the job service and the CLI import them, the
 * JupyterLab extension imports their types, and the contract test checks the Python client's
 * copy (`nbgrid/client/runtime.py`, `FINAL_STATES`) against them.
 */

/** Every Celery queue state a task can be in (the `status` column). */
export const QUEUE_STATES = ['PENDING', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED'] as const;

/** Celery queue state of a task. */
export type QueueState = (typeof QUEUE_STATES)[number];

/** Every outcome of executing a task notebook (the `run_status` column). */
export const RUN_STATUSES = ['OK', 'ERROR', 'unknown'] as const;

/** Outcome of executing a task notebook. */
export type RunStatus = (typeof RUN_STATUSES)[number];

const ACTIVE = ['PENDING', 'STARTED', 'RETRY'] as const satisfies readonly QueueState[];
const FINAL = ['SUCCESS', 'FAILURE', 'REVOKED'] as const satisfies readonly QueueState[];

/** A state a task may still leave: queued, running or waiting for a retry. */
export type ActiveState = (typeof ACTIVE)[number];
/** A state a task leaves only when restarted: it will not change by itself any more. */
export type FinalState = (typeof FINAL)[number];

/** States of tasks that may still change: PENDING, STARTED, RETRY. */
export const ACTIVE_STATES: readonly QueueState[] = ACTIVE;
/** States of tasks that will not change by themselves: SUCCESS, FAILURE, REVOKED. */
export const FINAL_STATES: readonly QueueState[] = FINAL;

/** Whether a task in `state` may still change by itself. */
export function isActiveState(state: string): state is ActiveState {
  return (ACTIVE_STATES as readonly string[]).includes(state);
}

/** Whether a task in `state` will not change by itself any more. */
export function isFinalState(state: string): state is FinalState {
  return (FINAL_STATES as readonly string[]).includes(state);
}
