/**
 * kombu's ack emulation on Redis, so nbgrid and Python workers can share queues: a delivered
 * message sits in the `unacked` hash (`[envelope, exchange, routing_key]`) and the
 * `unacked_index` zset (score = delivery time) until acked; `restoreVisible` pushes messages
 * whose score is older than the visibility timeout back onto their queue, under `unacked_mutex`.
 *
 * With a `holder` (the worker's name), each message is also recorded as held by that worker, and
 * the worker keeps an alive key with a short expiry. `restoreLost` gives back, exactly once, the
 * messages still recorded as held by a worker whose alive key expired: a worker killed with -9
 * loses its messages for about `lostAfterMs`, not the whole visibility timeout. Messages of Python
 * workers are never recorded so, and never restored that way (kombu's timeout stays for them).
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
  /** This worker's name, to record the messages it holds; none: nothing is recorded. */
  holder?: string;
  /**
   * Milliseconds after its last {@link UnackedStore.markAlive} a holder counts as lost.
   * @defaultValue `15000`
   */
  lostAfterMs?: number;
}

export class UnackedStore {
  readonly visibilityTimeout: number;
  readonly mutexExpire: number;
  readonly lostAfterMs: number;
  private readonly holder: string;
  private readonly redis: Redis & ICeleryCommands;
  /** Since when every markAlive succeeded (ms), or null after a failure: see {@link restoreLost}. */
  private aliveSince: number | null = null;

  constructor(redis: Redis, private readonly keys: CeleryKeys, options: IUnackedStoreOptions = {}) {
    this.redis = withCommands(redis);
    this.visibilityTimeout = options.visibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT;
    this.mutexExpire = options.mutexExpire ?? 300;
    this.holder = options.holder ?? '';
    this.lostAfterMs = options.lostAfterMs ?? 15000;
  }

  /** Non-blocking pop across `listKeys` (in order) with atomic unacked registration. */
  async pop(listKeys: string[]): Promise<IPopped | null> {
    const k = this.keys;
    const res = await this.redis.celeryPopUnacked(
      listKeys.length + 5, k.unacked, k.unackedIndex, k.unackedOwner, k.unackedHeld(this.holder), k.unackedHolders, ...listKeys, now(), this.holder
    );
    if (!res) return null;
    return { queue: this.keys.queueFromKey(res[0]), raw: res[1], tag: res[2] === 1 ? res[3] : null };
  }

  /**
   * Register a message that a plain BRPOP delivered from `listKey` (kombu's `QoS.append`), and
   * record its holder (see restore-lost.lua). When Redis refuses (a key of the wrong type, see
   * `pop-unacked.lua`), the message goes back to the end of `listKey` popped next, and the error is
   * thrown: a message is never taken without being registered.
   */
  async append(tag: string, raw: string, exchange: string, routingKey: string, listKey: string): Promise<void> {
    const k = this.keys;
    const tx = this.redis
      .multi()
      .zadd(k.unackedIndex, now(), tag)
      .hset(k.unacked, tag, `[${raw}, ${JSON.stringify(exchange)}, ${JSON.stringify(routingKey)}]`);
    if (this.holder) {
      tx.hset(k.unackedOwner, tag, this.holder)
        .hset(k.unackedHeld(this.holder), tag, `${Buffer.byteLength(raw)}:${listKey}`)
        .sadd(k.unackedHolders, this.holder);
    }
    const results = await tx.exec();
    const failed = (results ?? []).find(([err]) => err !== null)?.[0];
    if (results !== null && failed === undefined) return;
    const undo = this.redis.multi().zrem(k.unackedIndex, tag).hdel(k.unacked, tag);
    if (this.holder) undo.hdel(k.unackedOwner, tag).hdel(k.unackedHeld(this.holder), tag);
    await undo.rpush(listKey, raw).exec();
    throw new Error(`could not register a delivered message as unacked, so it was put back on ${listKey}: ${failed?.message ?? 'transaction aborted'}`, {
      cause: failed
    });
  }

  /** Acknowledge: forget the message. */
  async ack(tag: string): Promise<void> {
    const tx = this.redis.multi().zrem(this.keys.unackedIndex, tag).hdel(this.keys.unacked, tag).hdel(this.keys.unackedOwner, tag);
    if (this.holder) tx.hdel(this.keys.unackedHeld(this.holder), tag);
    await tx.exec();
  }

  /**
   * Say this holder is alive for the next {@link lostAfterMs}; call it well within that time
   * (the consumer does with every refresh). Without a holder it does nothing.
   */
  async markAlive(): Promise<void> {
    if (!this.holder) return;
    try {
      await this.redis.set(this.keys.workerAlive(this.holder), '1', 'PX', this.lostAfterMs);
      this.aliveSince ??= Date.now();
    } catch (err) {
      this.aliveSince = null;
      throw err;
    }
  }

  /** Forget this holder's records (closing, everything acked or given back). */
  async retire(): Promise<void> {
    if (!this.holder) return;
    const k = this.keys;
    await this.redis.multi().del(k.workerAlive(this.holder)).del(k.unackedHeld(this.holder)).srem(k.unackedHolders, this.holder).exec();
  }

  /**
   * Give back the messages of holders whose alive key expired (see restore-lost.lua): exactly
   * once even when several workers sweep at the same time. Only runs after this worker itself has
   * refreshed its own key for a full {@link lostAfterMs} without a failure, so that right after a
   * Redis outage (every alive key may have expired) no live worker is taken for lost before it
   * had the time to refresh. Returns how many messages went back.
   */
  async restoreLost(): Promise<number> {
    if (!this.holder || this.aliveSince === null || Date.now() - this.aliveSince < this.lostAfterMs) return 0;
    const k = this.keys;
    let restored = 0;
    for (const host of await this.redis.smembers(k.unackedHolders)) {
      if (host === this.holder || (await this.redis.exists(k.workerAlive(host)))) continue;
      const held = await this.redis.hgetall(k.unackedHeld(host));
      const tags = Object.keys(held);
      const lists = tags.map((t) => held[t].slice(held[t].indexOf(':') + 1));
      const n = await this.redis.celeryRestoreLost(
        6 + lists.length, k.unacked, k.unackedIndex, k.unackedOwner, k.unackedHeld(host), k.workerAlive(host), k.unackedHolders, ...lists, host, ...tags
      );
      if (n > 0) restored += n;
    }
    return restored;
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
      this.keys.unacked, this.keys.unackedIndex, target, this.keys.unackedOwner, tag, stored, payload, leftmost ? 'LPUSH' : 'RPUSH'
    );
    if (res === -1) {
      throw new Error(`cannot restore message ${tag}: its queue key ${target} holds something other than a list; the message stays unacked until that key is a queue again`);
    }
    if (res === 1 && this.holder) await this.redis.hdel(this.keys.unackedHeld(this.holder), tag);
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
