/**
 * The worker side of kombu's pidbox over Redis: listens on the `celery.pidbox` fanout channel
 * and answers `ping`, `revoke`, `active_queues`, `stats` and `active` so `celery inspect ping`,
 * `app.control.revoke(id, terminate=True)` and Flower work against nbgrid workers. Replies go
 * to the reply queue bound to `reply.celery.pidbox` for the command's routing key, with its ticket.
 */
import type Redis from 'ioredis';
import { CeleryKeys, SEP } from './keys';
import { decodeBody, decodeEnvelope, encodeFanout } from './message';
import { stderrLogger, type ICeleryLogger } from './logger';

/** What the worker does for control commands. */
export interface IControlHandlers {
  revoke(taskIds: string[], terminate: boolean): void;
  activeQueues(): unknown[];
  stats(): Record<string, unknown>;
  active(): unknown[];
}

export interface IControlServerOptions {
  keys: CeleryKeys;
  hostname: string;
  handlers: IControlHandlers;
  logger?: ICeleryLogger;
}

interface ICommand {
  method?: unknown;
  arguments?: unknown;
  destination?: unknown;
  ticket?: unknown;
  reply_to?: { exchange?: unknown; routing_key?: unknown } | null;
}

export class ControlServer {
  private readonly sub: Redis;
  private readonly logger: ICeleryLogger;
  private clock = 0;
  private started: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly redis: Redis, private readonly options: IControlServerOptions) {
    this.sub = redis.duplicate();
    this.logger = options.logger ?? stderrLogger;
    this.sub.on('error', (err: unknown) => this.logger.warn({ err }, 'pidbox connection error'));
  }

  /** Subscribe to the pidbox channel; idempotent. */
  start(): Promise<void> {
    this.started ??= (async () => {
      this.sub.on('message', (_channel: string, data: string) => {
        this.handle(data).catch((err: unknown) => this.logger.warn({ err }, 'control command failed'));
      });
      await this.sub.subscribe(this.options.keys.pidbox);
    })();
    return this.started;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.started;
    } finally {
      this.sub.disconnect();
    }
  }

  private async handle(data: string): Promise<void> {
    let cmd: ICommand;
    let expires: unknown;
    try {
      const envelope = decodeEnvelope(data);
      expires = envelope.headers.expires;
      cmd = decodeBody(envelope) as ICommand;
    } catch (err) {
      this.logger.warn({ err }, 'ignoring unreadable control message');
      return;
    }
    if (typeof expires === 'number' && expires * 1000 < Date.now()) return;
    const dest = cmd.destination;
    if (Array.isArray(dest) && dest.length > 0 && !dest.includes(this.options.hostname)) return;
    const args = (cmd.arguments ?? {}) as Record<string, unknown>;
    const h = this.options.handlers;
    let answer: unknown;
    switch (cmd.method) {
      case 'ping':
        answer = { ok: 'pong' };
        break;
      case 'revoke': {
        const ids = Array.isArray(args.task_id) ? args.task_id.map(String) : args.task_id ? [String(args.task_id)] : [];
        h.revoke(ids, args.terminate === true);
        answer = { ok: `tasks ${ids.join(', ')} flagged as revoked` };
        break;
      }
      case 'active_queues':
        answer = h.activeQueues();
        break;
      case 'stats':
        answer = h.stats();
        break;
      case 'active':
        answer = h.active();
        break;
      default:
        if (typeof cmd.method === 'string' && cmd.reply_to) answer = { error: `No such command: ${cmd.method}` };
        else return;
    }
    if (cmd.reply_to && typeof cmd.ticket === 'string' && typeof cmd.reply_to.routing_key === 'string') {
      await this.reply(cmd.ticket, String(cmd.reply_to.exchange ?? CeleryKeys.replyExchange), cmd.reply_to.routing_key, answer);
    }
  }

  /** kombu fanout-less reply: LPUSH to every queue bound to the reply exchange with this routing key. */
  private async reply(ticket: string, exchange: string, routingKey: string, answer: unknown): Promise<void> {
    const keys = this.options.keys;
    const members = await this.redis.smembers(keys.binding(exchange));
    const envelope = encodeFanout({ [this.options.hostname]: answer }, {
      exchange,
      routingKey,
      headers: { ticket, clock: ++this.clock }
    });
    const json = JSON.stringify(envelope);
    const pipeline = this.redis.pipeline();
    for (const member of members) {
      const [rk, , queue] = member.split(SEP);
      if (rk === routingKey && queue) pipeline.lpush(keys.queue(queue), json);
    }
    await pipeline.exec();
  }
}
