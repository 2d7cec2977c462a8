/**
 * nbgrid's {@link ITaskPublisher} on the Celery layer: `nbgrid.run_notebook` messages published
 * with the generic {@link CeleryProducer}, and revokes through it.
 */
import type Redis from 'ioredis';
import { CeleryProducer, DEFAULT_VISIBILITY_TIMEOUT, defaultRevokeExpires, ResultBackend, type CeleryKeys } from '../celery';
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
}

export class NbgridTaskPublisher implements ITaskPublisher {
  readonly producer: CeleryProducer;

  constructor(redis: Redis, options: INbgridTaskPublisherOptions = {}) {
    const backend = new ResultBackend(redis);
    this.producer = new CeleryProducer(redis, {
      keys: options.keys,
      defaultQueue: DEFAULT_QUEUE,
      backend,
      revokeExpires: defaultRevokeExpires(backend.resultExpires, options.visibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT)
    });
  }

  /** All messages in one pipelined round trip. */
  async publishMany(messages: { taskId: string; queue: string; kwargs: Record<string, JsonValue>; argsrepr?: string }[]): Promise<void> {
    await this.producer.pushEnvelopes(
      messages.map((m) => this.producer.envelope(RUN_NOTEBOOK_TASK, [], m.kwargs, { taskId: m.taskId, queue: m.queue, argsrepr: m.argsrepr }))
    );
  }

  /** Revoked registry, pidbox broadcast (running tasks are interrupted with `terminate`) and REVOKED results. */
  async revoke(taskIds: string[], options: { terminate?: boolean } = {}): Promise<void> {
    await this.producer.revoke(taskIds, options);
  }
}
