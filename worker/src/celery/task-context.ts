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
}

/** A task implementation, registered by task name. Its resolved value is stored as the result. */
export type TaskHandler = (ctx: ITaskContext) => Promise<unknown>;
