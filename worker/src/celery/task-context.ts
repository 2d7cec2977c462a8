import type { ITaskHeaders } from './message';

/** What a task handler receives. */
export interface ITaskContext {
  taskId: string;
  taskName: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  retries: number;
  /** Aborted on revoke with terminate, hard time limit, or worker close timeout; `signal.reason` says which. */
  signal: AbortSignal;
  headers: ITaskHeaders;
  deliveryInfo: { exchange: string; routing_key: string; redelivered?: boolean };
  /** Celery hostname of the worker running it. */
  hostname: string;
  /**
   * Gives the handler's run slot to the next message while this handler finishes (records its
   * outcome; the message is still acked only when the handler returns, so a worker that dies
   * meanwhile still has it redelivered). For a handler whose heavy part is done. At most one
   * finishing handler per slot: when the budget is used, the call does nothing and the slot is
   * freed on return as usual. Idempotent; absent outside a task runner.
   */
  releaseSlot?: () => void;
}

/** A task implementation, registered by task name. Its resolved value is stored as the result. */
export type TaskHandler = (ctx: ITaskContext) => Promise<unknown>;
