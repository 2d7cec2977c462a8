/** Types of the Celery layer itself, so it depends on nothing above it. */

/** A JSON value: what task arguments, results and exception messages are made of. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A task state as Celery's result backend stores it (`celery.states`). `RECEIVED` and `REJECTED`
 * are never stored by this layer, so they are not listed.
 */
export type CeleryState = 'PENDING' | 'STARTED' | 'SUCCESS' | 'FAILURE' | 'RETRY' | 'REVOKED';

/** States after which a task's result does not change (`celery.states.READY_STATES`). */
export const READY_STATES: ReadonlySet<CeleryState> = new Set<CeleryState>(['SUCCESS', 'FAILURE', 'REVOKED']);
