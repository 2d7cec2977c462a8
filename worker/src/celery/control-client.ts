/**
 * The sending side of kombu's pidbox Mailbox over Redis: broadcast a control command on the
 * `celery.pidbox` fanout exchange, and optionally collect replies from a private reply queue
 * bound to `reply.celery.pidbox`, as `app.control.broadcast(..., reply=True)` does.
 */
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { CeleryKeys } from './keys';
import { decodeBody, decodeEnvelope, encodeFanout } from './message';

export interface IBroadcastOptions {
  /** Hostnames that should act; all when absent. */
  destination?: string[] | null;
  /** Wait this long for replies; no replies are collected when absent. */
  replyTimeoutMs?: number;
  /** Stop waiting after this many replies. */
  limit?: number;
}

export class ControlClient {
  private clock = 0;

  constructor(private readonly redis: Redis, private readonly keys: CeleryKeys = new CeleryKeys()) {}

  /** Broadcast `method(args)`; resolves with the replies (`{hostname: answer}` each) when asked to wait. */
  async broadcast(method: string, args: Record<string, unknown>, options: IBroadcastOptions = {}): Promise<Record<string, unknown>[]> {
    const ticket = randomUUID();
    const wantReply = options.replyTimeoutMs !== undefined;
    const replyId = randomUUID();
    const replyQueue = `${replyId}.${CeleryKeys.replyExchange}`;
    const body: Record<string, unknown> = {
      method,
      arguments: args,
      destination: options.destination ?? null,
      pattern: null,
      matcher: null
    };
    if (wantReply) {
      body.ticket = ticket;
      body.reply_to = { exchange: CeleryKeys.replyExchange, routing_key: replyId };
      const member = CeleryKeys.bindingMember(replyId, replyQueue);
      await this.redis.sadd(this.keys.binding(CeleryKeys.replyExchange), member);
    }
    const envelope = encodeFanout(body, {
      exchange: CeleryKeys.pidboxExchange,
      routingKey: '',
      deliveryMode: 2,
      headers: { clock: ++this.clock, expires: Date.now() / 1000 + 1 + (options.replyTimeoutMs ?? 0) / 1000 }
    });
    await this.redis.publish(this.keys.pidbox, JSON.stringify(envelope));
    if (!wantReply) return [];
    const replies: Record<string, unknown>[] = [];
    const deadline = Date.now() + (options.replyTimeoutMs ?? 0);
    const conn = this.redis.duplicate();
    conn.on('error', () => undefined); // reported by the BRPOP below
    try {
      while (Date.now() < deadline && (options.limit === undefined || replies.length < options.limit)) {
        const wait = Math.max(0.01, (deadline - Date.now()) / 1000);
        const popped = await conn.brpop(this.keys.queue(replyQueue), wait);
        if (!popped) break;
        const env = decodeEnvelope(popped[1]);
        if (env.headers.ticket !== ticket) continue;
        replies.push(decodeBody(env) as Record<string, unknown>);
      }
    } finally {
      conn.disconnect();
      await this.redis
        .multi()
        .srem(this.keys.binding(CeleryKeys.replyExchange), CeleryKeys.bindingMember(replyId, replyQueue))
        .del(this.keys.queue(replyQueue))
        .exec();
    }
    return replies;
  }

  /** `celery inspect ping`. */
  ping(timeoutMs = 1000): Promise<Record<string, unknown>[]> {
    return this.broadcast('ping', {}, { replyTimeoutMs: timeoutMs });
  }
}
