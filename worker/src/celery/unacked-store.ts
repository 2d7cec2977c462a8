/**
 * kombu's ack emulation on Redis, so nbgrid and Python workers can share queues: a delivered
 * message sits in the `unacked` hash (`[envelope, exchange, routing_key]`) and the
 * `unacked_index` zset (score = delivery time) until acked; `restoreVisible` pushes messages
 * whose score is older than the visibility timeout back onto their queue, under `unacked_mutex`.
 */
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { CeleryKeys } from './keys';

// Pop the first non-empty list (in KEYS order) and register the message as unacked in the same
// step, so no kill between pop and register can lose it. ARGV[1] = now (seconds).
// Returns {key, raw, registered(0|1), tag}.
const POP_SCRIPT = `
local unacked, index = KEYS[#KEYS - 1], KEYS[#KEYS]
for i = 1, #KEYS - 2 do
  local item = redis.call('RPOP', KEYS[i])
  if item then
    local ok, msg = pcall(cjson.decode, item)
    if ok and type(msg) == 'table' and type(msg.properties) == 'table'
       and type(msg.properties.delivery_tag) == 'string' then
      local di = msg.properties.delivery_info
      local ex, rk = '', ''
      if type(di) == 'table' then
        if type(di.exchange) == 'string' then ex = di.exchange end
        if type(di.routing_key) == 'string' then rk = di.routing_key end
      end
      local tag = msg.properties.delivery_tag
      redis.call('ZADD', index, ARGV[1], tag)
      redis.call('HSET', unacked, tag, '[' .. item .. ', ' .. cjson.encode(ex) .. ', ' .. cjson.encode(rk) .. ']')
      return {KEYS[i], item, 1, tag}
    end
    return {KEYS[i], item, 0, ''}
  end
end
return false
`;

// Move one unacked message back to a queue if it is still the same payload (compare and swap).
const RESTORE_SCRIPT = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[3] ~= '' then redis.call(ARGV[5], KEYS[3], ARGV[3]) end
return 1
`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** A message taken off a queue. */
export interface IPopped {
  /** Queue name (without priority suffix or prefix). */
  queue: string;
  raw: string;
  /** Delivery tag when the message was registered as unacked; null for unreadable messages. */
  tag: string | null;
}

export interface IUnackedStoreOptions {
  /** Seconds an unacked message may stay before it is restored. @defaultValue `3600` (kombu) */
  visibilityTimeout?: number;
  /** Seconds the restore mutex is held at most. @defaultValue `300` (kombu) */
  mutexExpire?: number;
}

export class UnackedStore {
  readonly visibilityTimeout: number;
  readonly mutexExpire: number;

  constructor(private readonly redis: Redis, private readonly keys: CeleryKeys, options: IUnackedStoreOptions = {}) {
    this.visibilityTimeout = options.visibilityTimeout ?? 3600;
    this.mutexExpire = options.mutexExpire ?? 300;
  }

  /** Non-blocking pop across `listKeys` (in order) with atomic unacked registration. */
  async pop(listKeys: string[]): Promise<IPopped | null> {
    const res = (await this.redis.eval(POP_SCRIPT, listKeys.length + 2, ...listKeys, this.keys.unacked, this.keys.unackedIndex, now())) as
      | [string, string, number, string]
      | null;
    if (!res) return null;
    return { queue: this.keys.queueFromKey(res[0]), raw: res[1], tag: res[2] === 1 ? res[3] : null };
  }

  /** Register a message that a plain BRPOP delivered (kombu's `QoS.append`). */
  async append(tag: string, raw: string, exchange: string, routingKey: string): Promise<void> {
    await this.redis
      .multi()
      .zadd(this.keys.unackedIndex, now(), tag)
      .hset(this.keys.unacked, tag, `[${raw}, ${JSON.stringify(exchange)}, ${JSON.stringify(routingKey)}]`)
      .exec();
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
      const [message, exchange, routingKey] = JSON.parse(stored) as [Record<string, unknown>, string, string];
      const headers = message.headers as Record<string, unknown> | undefined;
      const props = message.properties as { delivery_info?: Record<string, unknown>; priority?: number } | undefined;
      if (headers) headers.redelivered = true;
      if (props?.delivery_info) props.delivery_info.redelivered = true;
      // Celery routes through the anonymous exchange or a direct exchange whose routing key is the
      // queue name, so the routing key is the queue (kombu would look it up in the bindings).
      void exchange;
      target = this.keys.queue(routingKey, props?.priority ?? 0);
      payload = JSON.stringify(message);
    } catch {
      payload = ''; // unreadable: drop it from the indices, like kombu does
    }
    const res = await this.redis.eval(
      RESTORE_SCRIPT, 3, this.keys.unacked, this.keys.unackedIndex, target, tag, stored, payload, '', leftmost ? 'LPUSH' : 'RPUSH'
    );
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
    if (got !== 'OK') return 0;
    let restored = 0;
    try {
      const ceil = Number(now()) - this.visibilityTimeout;
      const tags = await this.redis.zrevrangebyscore(this.keys.unackedIndex, ceil, 0, 'LIMIT', 0, limit);
      for (const tag of tags) {
        const stored = await this.redis.hget(this.keys.unacked, tag);
        if (stored === null) {
          await this.redis.zrem(this.keys.unackedIndex, tag);
          continue;
        }
        if (await this.restoreStored(tag, stored, false)) restored++;
      }
    } finally {
      await this.redis.eval(RELEASE_SCRIPT, 1, this.keys.unackedMutex, token);
    }
    return restored;
  }
}

function now(): string {
  return (Date.now() / 1000).toFixed(6);
}
