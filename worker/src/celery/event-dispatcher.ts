/**
 * Sends Celery events on the `celeryev` fanout exchange, in the body Python's `EventReceiver`
 * parses: `{hostname, utcoffset, pid, clock, timestamp, type, ...fields}`, published on
 * `/{db}.celeryev/<type with '-' as '.'>` like kombu's Redis fanout.
 */
import { loadavg } from 'node:os';
import type Redis from 'ioredis';
import type { CeleryKeys } from './keys';
import { encodeFanout } from './message';
import type { ISoftwareInfo } from './software';

export class EventDispatcher {
  private clock = 0;
  /** Whether `task-*` events go out (Celery's `task` event group; `enable_events`/`disable_events`). */
  taskEvents: boolean;

  constructor(
    private readonly redis: Redis,
    private readonly keys: CeleryKeys,
    readonly hostname: string,
    /** When false, `send` does nothing (Celery's `-E` off). @defaultValue `true` */
    readonly enabled = true
  ) {
    this.taskEvents = enabled;
  }

  /** The Lamport clock of the events sent so far (pidbox `clock`, `stats.clock`). */
  get clockValue(): number {
    return this.clock;
  }

  /** Advance the clock for something other than an event (a pidbox reply), like Celery's `app.clock`. */
  tick(): number {
    return ++this.clock;
  }

  /** The body of an event before it is sent (exposed for tests and for nbgrid extras). */
  body(type: string, fields: Record<string, unknown>): Record<string, unknown> {
    return {
      hostname: this.hostname,
      utcoffset: new Date().getTimezoneOffset() / 60,
      pid: process.pid,
      clock: ++this.clock,
      ...fields,
      timestamp: Date.now() / 1000,
      type
    };
  }

  /** Publish one event; a Redis error is returned to the caller (events are best effort there). */
  async send(type: string, fields: Record<string, unknown> = {}): Promise<void> {
    const out = this.encode(type, fields);
    if (out) await this.redis.publish(out.channel, out.message);
  }

  /**
   * The channel and message of one event, or null when that kind of event is off; for callers
   * that publish many in one pipeline.
   */
  encode(type: string, fields: Record<string, unknown> = {}): { channel: string; message: string } | null {
    if (type.startsWith('task-') ? !this.taskEvents : !this.enabled) return null;
    const routingKey = type.replace(/-/g, '.');
    const envelope = encodeFanout(this.body(type, fields), {
      exchange: 'celeryev',
      routingKey,
      headers: { hostname: this.hostname }
    });
    return { channel: this.keys.event(routingKey), message: JSON.stringify(envelope) };
  }

  /** Fields of worker-online/heartbeat/offline. */
  static workerFields(
    info: { freq: number; active: number; processed: number; labels: string[]; concurrency: number; paused?: string | null },
    software: ISoftwareInfo
  ): Record<string, unknown> {
    return {
      freq: info.freq,
      active: info.active,
      processed: info.processed,
      loadavg: loadavg().map((v) => Math.round(v * 100) / 100),
      sw_ident: software.ident,
      sw_ver: software.version,
      sw_sys: process.platform === 'linux' ? 'Linux' : process.platform,
      labels: info.labels,
      concurrency: info.concurrency,
      // Why the worker takes no messages now (an nbgrid extra, like labels); absent while it does.
      ...(info.paused ? { paused: info.paused } : {})
    };
  }
}
