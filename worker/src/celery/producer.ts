/**
 * Publishes Celery protocol v2 task messages the way kombu's Redis transport does: LPUSH of the
 * JSON envelope on the queue's list (priority sub-queue when priority > 0), after registering
 * the queue's `_kombu.binding.<queue>` so Python workers and tools know the queue exists.
 */
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type Redis from 'ioredis';
import { ControlClient } from './control-client';
import { CeleryKeys } from './keys';
import { EventDispatcher } from './event-dispatcher';
import { encodeTaskMessage, isoUtc, type IEnvelope, type ITaskMessage } from './message';
import { ResultBackend } from './result-backend';
import { defaultRevokeExpires, RevokedRegistry } from './revoked-registry';
import { DEFAULT_VISIBILITY_TIMEOUT } from './unacked-store';

/** Options of {@link CeleryProducer.send}. */
export interface ISendOptions {
  /** @defaultValue the producer's `defaultQueue` */
  queue?: string;
  /** @defaultValue a new uuid4 */
  taskId?: string;
  eta?: Date;
  /** Seconds before the task may run. */
  countdown?: number;
  /** Absolute time, or seconds from now, after which the task is revoked instead of run. */
  expires?: Date | number;
  /** 0..9, higher first. @defaultValue `0` */
  priority?: number;
  /** @defaultValue `0` */
  retries?: number;
  /** Hard and soft time limit in seconds (Celery's `timelimit` header is `[hard, soft]`). */
  timeLimit?: { hard?: number | null; soft?: number | null };
  argsrepr?: string;
  headers?: Record<string, unknown>;
  parentId?: string;
  rootId?: string;
}

export interface ICeleryProducerOptions {
  keys?: CeleryKeys;
  /** @defaultValue `'celery'` (Celery's `task_default_queue`) */
  defaultQueue?: string;
  /** Result backend used to mark revoked tasks. @defaultValue one on the same connection */
  backend?: ResultBackend;
  /**
   * Seconds a revoke stays in the revoked registry (see `revoked-registry.ts` for why).
   * @defaultValue the backend's `resultExpires` + kombu's visibility timeout (3600)
   */
  revokeExpires?: number;
  /**
   * Send a `task-sent` event for every message published (Celery's `task_send_sent_event`), so
   * Flower shows when a task was sent, its exchange and routing key. @defaultValue `false` (Celery's)
   */
  sendSentEvent?: boolean;
  /** Node name of the `task-sent` events. @defaultValue `gen<pid>@<host>` (Celery's anonymous node name) */
  hostname?: string;
}

/** Result-backend writes in flight at once when revoking many tasks. */
const REVOKE_CHUNK = 1000;

export class CeleryProducer {
  readonly keys: CeleryKeys;
  readonly defaultQueue: string;
  readonly backend: ResultBackend;
  readonly revoked: RevokedRegistry;
  private readonly control: ControlClient;
  private readonly boundQueues = new Set<string>();
  private readonly events: EventDispatcher | null;

  constructor(private readonly redis: Redis, options: ICeleryProducerOptions = {}) {
    this.keys = options.keys ?? new CeleryKeys();
    this.defaultQueue = options.defaultQueue ?? 'celery';
    this.backend = options.backend ?? new ResultBackend(redis);
    this.control = new ControlClient(redis, this.keys);
    const revokeExpires = options.revokeExpires ?? defaultRevokeExpires(this.backend.resultExpires, DEFAULT_VISIBILITY_TIMEOUT);
    this.revoked = new RevokedRegistry(redis, this.keys, revokeExpires);
    this.events = options.sendSentEvent
      ? new EventDispatcher(redis, this.keys, options.hostname ?? `gen${process.pid}@${osHostname()}`)
      : null;
  }

  /** Build the envelope for a task without sending it. */
  envelope(taskName: string, args: unknown[], kwargs: Record<string, unknown>, options: ISendOptions = {}): IEnvelope {
    return encodeTaskMessage({
      taskName,
      args,
      kwargs,
      taskId: options.taskId,
      queue: options.queue ?? this.defaultQueue,
      eta: options.eta,
      countdown: options.countdown,
      expires: options.expires,
      priority: options.priority,
      retries: options.retries,
      timeLimit: options.timeLimit ? [options.timeLimit.hard ?? null, options.timeLimit.soft ?? null] : undefined,
      argsrepr: options.argsrepr,
      headers: options.headers,
      parentId: options.parentId,
      rootId: options.rootId
    });
  }

  /** Send one task; resolves with its id. */
  async send(taskName: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}, options: ISendOptions = {}): Promise<string> {
    const envelope = this.envelope(taskName, args, kwargs, options);
    await this.pushEnvelopes([envelope]);
    return envelope.headers.id as string;
  }

  /** Push already built envelopes (also used to re-publish retries), in one pipeline. */
  async pushEnvelopes(envelopes: IEnvelope[]): Promise<void> {
    if (envelopes.length === 0) return;
    const pipeline = this.redis.pipeline();
    const bound = new Set<string>();
    // Consecutive messages for one list go in one LPUSH (same order as one LPUSH each).
    let list: string | null = null;
    let values: string[] = [];
    const flush = (): void => {
      if (list !== null && values.length > 0) pipeline.lpush(list, ...values);
      values = [];
    };
    for (const env of envelopes) {
      const queue = env.properties.delivery_info.routing_key;
      if (!this.boundQueues.has(queue) && !bound.has(queue)) {
        flush();
        const member = CeleryKeys.bindingMember(queue, queue);
        pipeline.sadd(this.keys.binding(queue), member).sadd(this.keys.bindingPermanent(queue), member);
        bound.add(queue);
      }
      const key = this.keys.queue(queue, env.properties.priority);
      if (key !== list || values.length >= 1000) {
        flush();
        list = key;
      }
      values.push(JSON.stringify(env));
    }
    flush();
    // After the pushes, in the same round trip: a monitor never sees a task received before it was sent.
    for (const env of envelopes) {
      const sent = this.events?.encode('task-sent', sentFields(env));
      if (sent) pipeline.publish(sent.channel, sent.message);
    }
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
    for (const env of envelopes) this.boundQueues.add(env.properties.delivery_info.routing_key);
  }

  /**
   * Queue the next attempt of a task (Celery's `Task.retry`): the same message with
   * `retries + 1`, an eta `countdown` seconds from now and a new delivery tag.
   */
  async retry(msg: ITaskMessage, countdown: number): Promise<void> {
    const env = msg.envelope;
    const headers: Record<string, unknown> = { ...env.headers, retries: msg.headers.retries + 1, eta: isoUtc(new Date(Date.now() + countdown * 1000)) };
    delete headers.redelivered;
    const next: IEnvelope = {
      ...env,
      headers,
      properties: { ...env.properties, delivery_tag: randomUUID(), delivery_info: { ...env.properties.delivery_info } }
    };
    delete next.properties.delivery_info.redelivered;
    await this.pushEnvelopes([next]);
  }

  /**
   * Revoke tasks: the revoked registry (workers of this layer skip them even after a restart),
   * a pidbox `revoke` broadcast (Python workers too; `terminate` interrupts running ones), and
   * REVOKED results.
   */
  async revoke(taskIds: string[], options: { terminate?: boolean } = {}): Promise<void> {
    if (taskIds.length === 0) return;
    await this.revoked.add(taskIds);
    await this.control.broadcast('revoke', { task_id: taskIds, terminate: options.terminate ?? false, signal: 'SIGTERM' });
    // In chunks: ioredis pipelines the commands in flight, and 10,000 at once only queue up.
    for (let i = 0; i < taskIds.length; i += REVOKE_CHUNK) await Promise.all(taskIds.slice(i, i + REVOKE_CHUNK).map((id) => this.backend.markRevoked(id)));
  }
}

/** The fields of Celery's `task-sent` event for a message (`amqp.send_task_message`). */
function sentFields(env: IEnvelope): Record<string, unknown> {
  const h = env.headers;
  const di = env.properties.delivery_info;
  return {
    uuid: h.id, root_id: h.root_id, parent_id: h.parent_id, name: h.task, args: h.argsrepr, kwargs: h.kwargsrepr,
    retries: h.retries, eta: h.eta, expires: h.expires, queue: di.routing_key, exchange: di.exchange ?? '', routing_key: di.routing_key
  };
}
