/**
 * The worker side of kombu's pidbox over Redis: listens on the `celery.pidbox` fanout channel,
 * runs the command named by each message addressed to this node (see `control-commands.ts` for
 * the Celery commands a worker answers) and replies to the reply queue bound to
 * `reply.celery.pidbox` for the command's routing key, with its ticket. A command that throws is
 * answered `{error: repr}` as kombu's `Node.dispatch` does; an unknown one `No such command`.
 */
import type Redis from 'ioredis';
import { CeleryKeys, SEP } from './keys';
import { decodeBody, decodeEnvelope, encodeFanout } from './message';
import { stderrLogger, type ICeleryLogger } from './logger';

/** Returned by a command that sends no reply (Celery's `shutdown` raises instead of answering). */
export const NO_REPLY: unique symbol = Symbol('no reply');

/** One pidbox command: its arguments as sent, its reply (JSON) or {@link NO_REPLY}. */
export type ControlCommand = (args: Record<string, unknown>) => unknown;

export interface IControlServerOptions {
  keys: CeleryKeys;
  hostname: string;
  /** Commands by method name. */
  commands: Record<string, ControlCommand>;
  /** Advances the node's Lamport clock for a reply. @defaultValue a counter of its own */
  tick?: () => number;
  logger?: ICeleryLogger;
}

interface ICommand {
  method?: unknown;
  arguments?: unknown;
  destination?: unknown;
  ticket?: unknown;
  reply_to?: { exchange?: unknown; routing_key?: unknown } | null;
}

/** Python's `repr()` of an exception, as kombu puts it in an error reply. */
function errorRepr(err: unknown): string {
  const name = err instanceof RangeError || err instanceof TypeError ? (err instanceof RangeError ? 'ValueError' : 'TypeError') : 'Exception';
  const message = err instanceof Error ? err.message : String(err);
  // Python quotes with ' unless the text holds a ' and no ".
  const quote = message.includes("'") && !message.includes('"') ? '"' : "'";
  const body = message.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').split(quote).join(`\\${quote}`);
  return `${name}(${quote}${body}${quote})`;
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
    const args = (cmd.arguments && typeof cmd.arguments === 'object' ? cmd.arguments : {}) as Record<string, unknown>;
    const command = typeof cmd.method === 'string' && Object.hasOwn(this.options.commands, cmd.method) ? this.options.commands[cmd.method] : undefined;
    let answer: unknown;
    if (!command) {
      if (typeof cmd.method === 'string' && cmd.reply_to) answer = { error: `No such command: ${cmd.method}` };
      else return;
    } else {
      try {
        answer = await command(args);
      } catch (err) {
        this.logger.warn({ err, method: cmd.method }, 'pidbox command error');
        answer = { error: errorRepr(err) };
      }
      if (answer === NO_REPLY) return;
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
      headers: { ticket, clock: this.options.tick ? this.options.tick() : ++this.clock }
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
