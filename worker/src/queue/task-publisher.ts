/**
 * nbgrid's {@link ITaskPublisher} on the Celery layer: `nbgrid.run_notebook` messages published
 * with the generic {@link CeleryProducer}, and revokes through it.
 */
import type Redis from 'ioredis';
import { CeleryProducer, DEFAULT_VISIBILITY_TIMEOUT, defaultRevokeExpires, ResultBackend, type CeleryKeys } from '../celery';
import { ServiceUnavailableError } from '../domain/errors';
import type { ITaskPublisher } from '../domain/ports';
import { DEFAULT_QUEUE, RUN_NOTEBOOK_TASK, type JsonValue } from '../domain/types';

export interface INbgridTaskPublisherOptions {
  /** @defaultValue `new CeleryKeys()` */
  keys?: CeleryKeys;
  /**
   * The workers' visibility timeout in seconds: revokes are remembered for the result expiry plus
   * this (see `celery/revoked-registry.ts`). @defaultValue `3600` (kombu)
   */
  visibilityTimeout?: number;
  /** Milliseconds {@link NbgridTaskPublisher.ensureReachable} waits for Redis's answer. @defaultValue 2000 */
  pingTimeoutMs?: number;
  /** Send Celery's `task-sent` event for each task queued (`task_send_sent_event`). @defaultValue true */
  sendSentEvent?: boolean;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class NbgridTaskPublisher implements ITaskPublisher {
  readonly producer: CeleryProducer;

  constructor(private readonly redis: Redis, private readonly options: INbgridTaskPublisherOptions = {}) {
    const backend = new ResultBackend(redis);
    this.producer = new CeleryProducer(redis, {
      keys: options.keys,
      defaultQueue: DEFAULT_QUEUE,
      backend,
      revokeExpires: defaultRevokeExpires(backend.resultExpires, options.visibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT),
      // Flower shows a task's sent time, exchange and routing key from its task-sent event.
      sendSentEvent: options.sendSentEvent ?? true
    });
  }

  /** All messages in one pipelined round trip. @throws ServiceUnavailableError naming Redis when it fails */
  async publishMany(messages: { taskId: string; queue: string; kwargs: Record<string, JsonValue>; argsrepr?: string }[]): Promise<void> {
    try {
      await this.producer.pushEnvelopes(
        messages.map((m) => this.producer.envelope(RUN_NOTEBOOK_TASK, [], m.kwargs, { taskId: m.taskId, queue: m.queue, argsrepr: m.argsrepr }))
      );
    } catch (err) {
      throw unreachable(`could not queue the tasks (${errorText(err)})`, err);
    }
  }

  /**
   * Fails fast while Redis is down: not connected means unreachable at once (commands would wait
   * for a reconnect), and a connected Redis must answer PING within `pingTimeoutMs`.
   */
  async ensureReachable(): Promise<void> {
    if (this.redis.status !== 'ready') throw unreachable(`not connected (${this.redis.status})`);
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.options.pingTimeoutMs ?? 2000;
    try {
      await Promise.race([
        this.redis.ping(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)))
      ]);
    } catch (err) {
      throw unreachable(errorText(err), err);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Revoked registry, pidbox broadcast (running tasks are interrupted with `terminate`) and REVOKED results. */
  async revoke(taskIds: string[], options: { terminate?: boolean } = {}): Promise<void> {
    await this.producer.revoke(taskIds, options);
  }
}

function unreachable(detail: string, cause?: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError(`Redis (the task queue) is unreachable: ${detail}; nothing was queued, retry when it is back`, { cause, part: 'redis' });
}
