/**
 * What the task reconciler needs to know of the queue (implemented on Redis by
 * `queue/queue-inspector.ts`): which task messages can still reach a worker, and what a worker
 * reported for a task whose message is gone.
 */

export interface IQueueInspector {
  /**
   * Celery task ids of the messages that can still be run: waiting in one of `queues` (any
   * priority) or delivered and not acked (running, prefetched, or held for their eta by a worker).
   */
  liveMessageIds(queues: readonly string[]): Promise<Set<string>>;
  /**
   * The final Celery result a worker stored for each task id that has one (SUCCESS, FAILURE or
   * REVOKED), as a short text such as `FAILURE: RuntimeError: ...`.
   */
  finalResults(taskIds: readonly string[]): Promise<Map<string, string>>;
}
