/**
 * Live workers as their heartbeats tell: subscribes to `worker.*` Celery events (nbgrid and Python
 * workers alike) and keeps those heard from within 2 × their heartbeat interval.
 */
import type Redis from 'ioredis';
import { CeleryKeys } from './keys';
import { decodeBody, decodeEnvelope } from './message';
import { stderrLogger, type ICeleryLogger } from './logger';

/** A live worker as its heartbeats tell. `labels` and `concurrency` are nbgrid workers' extra fields (empty and 0 for others). */
export interface ICeleryWorkerInfo {
  /** Celery node name, e.g. `nbgrid-12@host`. */
  hostname: string;
  labels: string[];
  concurrency: number;
  /** Tasks running at the last heartbeat. */
  active: number;
  /** Tasks finished since the worker started. */
  processed: number;
  /** ISO time of the last heartbeat (the worker's clock). */
  last_seen: string;
  /** Why the worker takes no messages now (nbgrid workers only); absent while it consumes. */
  paused?: string;
}

interface ISeen {
  info: ICeleryWorkerInfo;
  freq: number;
  lastSeenMs: number;
}

export interface IWorkerRegistryOptions {
  keys?: CeleryKeys;
  logger?: ICeleryLogger;
}

export class WorkerRegistry {
  private readonly sub: Redis;
  private readonly keys: CeleryKeys;
  private readonly logger: ICeleryLogger;
  private readonly workers = new Map<string, ISeen>();
  private started: Promise<void> | null = null;
  private closed = false;

  /** @param redis any connection; the registry duplicates it for its subscription. */
  constructor(redis: Redis, options: IWorkerRegistryOptions = {}) {
    this.sub = redis.duplicate();
    this.keys = options.keys ?? new CeleryKeys();
    this.logger = options.logger ?? stderrLogger;
    this.sub.on('error', (err: unknown) => this.logger.warn({ err }, 'event connection error'));
  }

  /** Subscribe; idempotent. */
  start(): Promise<void> {
    this.started ??= (async () => {
      this.sub.on('pmessage', (_pattern: string, _channel: string, data: string) => this.onMessage(data));
      await this.sub.psubscribe(this.keys.workerEventPattern);
    })();
    return this.started;
  }

  /** Live workers, most recently seen first. */
  list(now = Date.now()): ICeleryWorkerInfo[] {
    const live: ISeen[] = [];
    for (const [hostname, seen] of this.workers) {
      if (now - seen.lastSeenMs <= 2 * seen.freq * 1000) live.push(seen);
      else this.workers.delete(hostname);
    }
    return live.sort((a, b) => b.lastSeenMs - a.lastSeenMs).map((s) => ({ ...s.info }));
  }

  /** Unsubscribe and disconnect; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.started;
    } finally {
      this.sub.disconnect();
    }
  }

  private onMessage(data: string): void {
    let body: Record<string, unknown>;
    try {
      body = decodeBody(decodeEnvelope(data)) as Record<string, unknown>;
    } catch (err) {
      this.logger.warn({ err }, 'ignoring unreadable worker event');
      return;
    }
    const hostname = body?.hostname;
    if (typeof hostname !== 'string') return;
    if (body.type === 'worker-offline') {
      this.workers.delete(hostname);
      return;
    }
    const freq = typeof body.freq === 'number' && body.freq > 0 ? body.freq : 2;
    const ts = typeof body.timestamp === 'number' ? body.timestamp * 1000 : Date.now();
    this.workers.set(hostname, {
      freq,
      lastSeenMs: Date.now(),
      info: {
        hostname,
        labels: Array.isArray(body.labels) ? body.labels.filter((l): l is string => typeof l === 'string') : [],
        concurrency: typeof body.concurrency === 'number' ? body.concurrency : 0,
        active: typeof body.active === 'number' ? body.active : 0,
        processed: typeof body.processed === 'number' ? body.processed : 0,
        last_seen: new Date(ts).toISOString(),
        ...(typeof body.paused === 'string' && body.paused ? { paused: body.paused } : {})
      }
    });
  }
}
