/**
 * kombu's ack emulation on Redis, so nbgrid and Python workers can share queues: a delivered
 * message sits in the `unacked` hash (`[envelope, exchange, routing_key]`) and the
 * `unacked_index` zset (score = delivery time) until acked; `restoreVisible` pushes messages
 * whose score is older than the visibility timeout back onto their queue, under `unacked_mutex`.
 */
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { CeleryKeys } from './keys';
import { withCommands, type ICeleryCommands } from './scripts';

/** A message taken off a queue. */
export interface IPopped {
  /** Queue name (without priority suffix or prefix). */
  queue: string;
  raw: string;
  /** Delivery tag when the message was registered as unacked; null for unreadable messages. */
  tag: string | null;
}

/** kombu's default `visibility_timeout` in seconds. */
export const DEFAULT_VISIBILITY_TIMEOUT = 3600;

export interface IUnackedStoreOptions {
  /** Seconds an unacked message may stay before it is restored. @defaultValue `3600` (kombu) */
  visibilityTimeout?: number;
  /** Seconds the restore mutex is held at most. @defaultValue `300` (kombu) */
  mutexExpire?: number;
}

export class UnackedStore {
  readonly visibilityTimeout: number;
  readonly mutexExpire: number;
  private readonly redis: Redis & ICeleryCommands;

  constructor(redis: Redis, private readonly keys: CeleryKeys, options: IUnackedStoreOptions = {}) {
    this.redis = withCommands(redis);
    this.visibilityTimeout = options.visibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT;
    this.mutexExpire = options.mutexExpire ?? 300;
  }

  /** Non-blocking pop across `listKeys` (in order) with atomic unacked registration. */
  async pop(listKeys: string[]): Promise<IPopped | null> {
    const res = await this.redis.celeryPopUnacked(listKeys.length + 2, this.keys.unacked, this.keys.unackedIndex, ...listKeys, now());
    if (!res) return null;
    return { queue: this.keys.queueFromKey(res[0]), raw: res[1], tag: res[2] === 1 ? res[3] : null };
  }

  /**
   * Register a message that a plain BRPOP delivered (kombu's `QoS.append`). When Redis refuses
   * (a key of the wrong type, see `pop-unacked.lua`), the message goes back to the end of `listKey`
   * popped next, and the error is thrown: a message is never taken without being registered.
   */
  async append(tag: string, raw: string, exchange: string, routingKey: string, listKey: string): Promise<void> {
    const results = await this.redis
      .multi()
      .zadd(this.keys.unackedIndex, now(), tag)
      .hset(this.keys.unacked, tag, `[${raw}, ${JSON.stringify(exchange)}, ${JSON.stringify(routingKey)}]`)
      .exec();
    const failed = (results ?? []).find(([err]) => err !== null)?.[0];
    if (results !== null && failed === undefined) return;
    await this.redis.multi().zrem(this.keys.unackedIndex, tag).hdel(this.keys.unacked, tag).rpush(listKey, raw).exec();
    throw new Error(`could not register a delivered message as unacked, so it was put back on ${listKey}: ${failed?.message ?? 'transaction aborted'}`, {
      cause: failed
    });
  }

  /** Acknowledge: forget the message. */
  async ack(tag: string): Promise<void> {
    await this.redis.multi().zrem(this.keys.unackedIndex, tag).hdel(this.keys.unacked, tag).exec();
  }

  /** Push the delivery times of messages still being worked on forward, so no sweep restores them. */
  async touch(tags: string[]): Promise<void> {
    if (tags.length === 0) return;
    const args: (string | number)[] = [];
    for (const t of tags) args.push(now(), t);
    await this.redis.zadd(this.keys.unackedIndex, 'XX', ...args);
  }

  /**
   * Put a message back on its queue now (shutdown, or a held message not run). `leftmost` puts it
   * at the end popped last (kombu `reject(requeue=True)`); otherwise it is popped next.
   */
  async restore(tag: string, leftmost = false): Promise<boolean> {
    const stored = await this.redis.hget(this.keys.unacked, tag);
    if (stored === null) return false;
    return this.restoreStored(tag, stored, leftmost);
  }

  private async restoreStored(tag: string, stored: string, leftmost: boolean): Promise<boolean> {
    let payload = '';
    let target = this.keys.queue('celery');
    try {
      // The exchange (second element) is not needed: Celery routes through the anonymous exchange
      // or a direct exchange whose routing key is the queue name, so the routing key is the queue
      // (kombu would look it up in the bindings).
      const [message, , routingKey] = JSON.parse(stored) as [Record<string, unknown>, string, string];
      const headers = message.headers as Record<string, unknown> | undefined;
      const props = message.properties as { delivery_info?: Record<string, unknown>; priority?: number } | undefined;
      if (headers) headers.redelivered = true;
      if (props?.delivery_info) props.delivery_info.redelivered = true;
      target = this.keys.queue(routingKey, props?.priority ?? 0);
      payload = JSON.stringify(message);
    } catch {
      payload = ''; // unreadable: drop it from the indices, like kombu does
    }
    const res = await this.redis.celeryRestoreUnacked(
      this.keys.unacked, this.keys.unackedIndex, target, tag, stored, payload, leftmost ? 'LPUSH' : 'RPUSH'
    );
    if (res === -1) {
      throw new Error(`cannot restore message ${tag}: its queue key ${target} holds something other than a list; the message stays unacked until that key is a queue again`);
    }
    return res === 1;
  }

  /**
   * kombu's `restore_visible`: under `unacked_mutex`, restore up to `limit` messages delivered
   * more than `visibilityTimeout` seconds ago. Returns how many were restored (0 when another
   * process holds the mutex).
   */
  async restoreVisible(limit = 100): Promise<number> {
    const token = randomUUID();
    const got = await this.redis.set(this.keys.unackedMutex, token, 'PX', this.mutexExpire * 1000, 'NX');
    if (got !== 'OK') {
      // Held by another process (a string), or a key of another type that no SET NX can take:
      // then no process ever restores again, which must be said rather than waited out.
      const type = await this.redis.type(this.keys.unackedMutex);
      if (type !== 'string' && type !== 'none') {
        throw new Error(`${this.keys.unackedMutex} holds a ${type}, not kombu's restore lock: no unacked message is redelivered until that key is deleted`);
      }
      return 0;
    }
    let restored = 0;
    let firstError: unknown = null;
    try {
      const ceil = Number(now()) - this.visibilityTimeout;
      const tags = await this.redis.zrevrangebyscore(this.keys.unackedIndex, ceil, 0, 'LIMIT', 0, limit);
      for (const tag of tags) {
        const stored = await this.redis.hget(this.keys.unacked, tag);
        if (stored === null) {
          await this.redis.zrem(this.keys.unackedIndex, tag);
          continue;
        }
        try {
          if (await this.restoreStored(tag, stored, false)) restored++;
        } catch (err) {
          firstError ??= err; // one bad queue key does not hold back the others
        }
      }
    } finally {
      await this.redis.celeryReleaseLock(this.keys.unackedMutex, token);
    }
    if (firstError !== null) throw firstError;
    return restored;
  }
}

function now(): string {
  return (Date.now() / 1000).toFixed(6);
}
