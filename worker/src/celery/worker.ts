/**
 * nbgrid's Celery worker: consumes Celery protocol v2 messages from Redis lists exactly like a
 * kombu consumer with `acks_late` (unacked hash + index, visibility-timeout restore), runs
 * registered handlers with bounded concurrency, stores Celery results, sends Celery events and
 * answers pidbox control commands. The consume loop survives bad messages and Redis reconnects.
 */
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type Redis from 'ioredis';
import { ControlServer } from './control';
import { NotRegistered, Retry, TaskRevokedError, TimeLimitExceeded, WorkerShutdownError } from './errors';
import { EventDispatcher } from './event-dispatcher';
import { exceptionInfo, exceptionRepr, tracebackOf } from './exception-info';
import { CeleryKeys } from './keys';
import { stderrLogger, type ICeleryLogger } from './logger';
import { decodeEnvelope, decodeTaskMessage, isoUtc, type IEnvelope, type ITaskMessage } from './message';
import { pythonRepr } from './python-repr';
import { ResultBackend } from './result-backend';
import { Semaphore } from './semaphore';
import type { ITaskContext, TaskHandler } from './task-context';
import { UnackedStore, type IPopped } from './unacked-store';

export interface ICeleryWorkerOptions {
  /** Queues to consume, in priority order for kombu's round-robin cycle. @defaultValue `['celery']` */
  queues?: string[];
  /** Handlers running at once, at most. @defaultValue `1` */
  concurrency?: number;
  /**
   * Messages popped ahead of a free slot (like Celery's prefetch), so the next task is already
   * here when one finishes. They are unacked, refreshed like running ones and restored on close.
   * @defaultValue `0`
   */
  prefetch?: number;
  /** Celery node name. @defaultValue `nbgrid-<pid>@<host>` */
  hostname?: string;
  /** Labels reported in heartbeats (nbgrid extra). @defaultValue the queues */
  labels?: string[];
  keys?: CeleryKeys;
  /** Seconds before an unacked message of a dead worker is restored. @defaultValue `3600` (kombu) */
  visibilityTimeout?: number;
  /** Milliseconds between `restore_visible` sweeps. @defaultValue `10000` */
  restoreIntervalMs?: number;
  /** Heartbeat interval in seconds (`freq`). @defaultValue `2` */
  heartbeatFreq?: number;
  /** Send Celery events (like `celery worker -E`). @defaultValue `true` */
  sendEvents?: boolean;
  /** Hard time limit in seconds for tasks whose message sets none. @defaultValue `null` (none) */
  defaultTimeLimit?: number | null;
  /** Seconds results are kept. @defaultValue `86400` */
  resultExpires?: number;
  /** Seconds a BRPOP blocks; bounds how long `close()` waits for the loop. @defaultValue `1` */
  brpopTimeout?: number;
  logger?: ICeleryLogger;
}

interface IRunning {
  msg: ITaskMessage;
  tag: string;
  controller: AbortController;
  startedAt: number;
}

export class CeleryWorker {
  readonly hostname: string;
  readonly queues: string[];
  readonly concurrency: number;
  private readonly keys: CeleryKeys;
  private readonly cmd: Redis;
  private readonly blocking: Redis;
  private readonly unacked: UnackedStore;
  private readonly backend: ResultBackend;
  private readonly events: EventDispatcher;
  private readonly control: ControlServer;
  /** Messages held (running or prefetched). */
  private readonly slots: Semaphore;
  /** Handlers running. */
  private readonly runSlots: Semaphore;
  /** Tags of prefetched messages waiting for a run slot. */
  private readonly prefetched = new Set<string>();
  private readonly logger: ICeleryLogger;
  private readonly handlers = new Map<string, TaskHandler>();
  private readonly running = new Map<string, IRunning>();
  private readonly held = new Map<string, { timer: NodeJS.Timeout; tag: string }>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly revokedIds = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private cycle: string[];
  private processedCount = 0;
  private closing = false;
  private loopDone: Promise<void> | null = null;
  private closePromise: Promise<void> | null = null;

  /** @param redis a connection the worker duplicates (it does not close the one given). */
  constructor(redis: Redis, private readonly options: ICeleryWorkerOptions = {}) {
    this.hostname = options.hostname ?? `nbgrid-${process.pid}@${osHostname()}`;
    this.queues = options.queues ?? ['celery'];
    this.cycle = [...this.queues];
    this.concurrency = options.concurrency ?? 1;
    this.keys = options.keys ?? new CeleryKeys();
    this.logger = options.logger ?? stderrLogger;
    this.cmd = redis.duplicate();
    this.blocking = redis.duplicate();
    for (const conn of [this.cmd, this.blocking]) conn.on('error', (err: unknown) => this.logger.warn({ err }, 'redis connection error'));
    this.unacked = new UnackedStore(this.cmd, this.keys, { visibilityTimeout: options.visibilityTimeout });
    this.backend = new ResultBackend(this.cmd, { resultExpires: options.resultExpires });
    this.events = new EventDispatcher(this.cmd, this.keys, this.hostname, options.sendEvents ?? true);
    this.slots = new Semaphore(this.concurrency + Math.max(0, Math.floor(options.prefetch ?? 0)));
    this.runSlots = new Semaphore(this.concurrency);
    this.control = new ControlServer(redis, {
      keys: this.keys,
      hostname: this.hostname,
      logger: this.logger,
      handlers: {
        revoke: (ids, terminate) => this.revoke(ids, terminate),
        activeQueues: () => this.queues.map((q) => ({ name: q, exchange: { name: q, type: 'direct' }, routing_key: q, durable: true })),
        stats: () => ({ pid: process.pid, total: this.processedCount, pool: { 'max-concurrency': this.concurrency }, sw_ident: 'nbgrid' }),
        active: () => [...this.running.values()].map((r) => ({
          id: r.msg.headers.id, name: r.msg.headers.task, args: r.msg.args, kwargs: r.msg.kwargs,
          hostname: this.hostname, time_start: r.startedAt / 1000, acknowledged: false,
          delivery_info: r.msg.envelope.properties.delivery_info
        }))
      }
    });
  }

  /** Handlers running now. */
  get active(): number {
    return this.running.size;
  }

  get processed(): number {
    return this.processedCount;
  }

  /** Register the handler of a task name. */
  register(taskName: string, handler: TaskHandler): this {
    this.handlers.set(taskName, handler);
    return this;
  }

  /** Start consuming; resolves once subscribed and online. */
  async start(): Promise<void> {
    if (this.loopDone) return;
    await this.control.start();
    // Bind the queues like kombu so Python tools see them.
    const pipeline = this.cmd.pipeline();
    for (const q of this.queues) {
      const member = CeleryKeys.bindingMember(q, q);
      pipeline.sadd(this.keys.binding(q), member).sadd(this.keys.bindingPermanent(q), member);
    }
    await pipeline.exec();
    await this.sendEvent('worker-online', this.workerFields());
    const freq = this.options.heartbeatFreq ?? 2;
    this.timers.push(setInterval(() => void this.heartbeat(), freq * 1000));
    const touchMs = Math.max(100, Math.min(freq * 1000, (this.unacked.visibilityTimeout * 1000) / 3));
    this.timers.push(setInterval(() => void this.touchInflight(), touchMs));
    const sweepMs = this.options.restoreIntervalMs ?? 10000;
    this.timers.push(setInterval(() => void this.sweep(), sweepMs));
    void this.sweep();
    this.loopDone = this.loop();
  }

  /** Mark task ids revoked; running ones are aborted when `terminate`. */
  revoke(taskIds: string[], terminate = false): void {
    for (const id of taskIds) {
      this.revokedIds.add(id);
      const run = this.running.get(id);
      if (run && terminate) run.controller.abort(new TaskRevokedError('terminated'));
    }
  }

  /**
   * Stop popping, let running tasks finish and ack them. After `timeoutMs` the rest are aborted
   * and their messages restored to the queue. Idempotent.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closePromise ??= this.shutdown(options.timeoutMs ?? 30000);
    return this.closePromise;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    for (const [, h] of this.held) {
      clearTimeout(h.timer);
      await this.unacked.restore(h.tag).catch((err: unknown) => this.logger.warn({ err }, 'could not restore held message'));
    }
    this.held.clear();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.allSettled([...this.inflight]).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)))
    ]);
    clearTimeout(timer);
    if (timedOut) {
      for (const run of this.running.values()) run.controller.abort(new WorkerShutdownError());
      await Promise.allSettled([...this.inflight]);
    }
    await this.loopDone;
    await this.sendEvent('worker-offline', this.workerFields());
    await this.control.close();
    this.blocking.disconnect();
    await this.cmd.quit().catch(() => this.cmd.disconnect());
  }

  private workerFields(): Record<string, unknown> {
    return EventDispatcher.workerFields({
      freq: this.options.heartbeatFreq ?? 2,
      active: this.running.size,
      processed: this.processedCount,
      labels: this.options.labels ?? this.queues,
      concurrency: this.concurrency
    });
  }

  private async heartbeat(): Promise<void> {
    await this.sendEvent('worker-heartbeat', this.workerFields());
  }

  private async touchInflight(): Promise<void> {
    const tags = [...[...this.running.values()].map((r) => r.tag), ...[...this.held.values()].map((h) => h.tag), ...this.prefetched];
    await this.unacked.touch(tags).catch((err: unknown) => this.logger.warn({ err }, 'could not refresh unacked messages'));
  }

  private async sweep(): Promise<void> {
    try {
      const n = await this.unacked.restoreVisible();
      if (n > 0) this.logger.info({ restored: n }, 'restored unacked messages past the visibility timeout');
    } catch (err) {
      this.logger.warn({ err }, 'restore_visible failed');
    }
  }

  private async sendEvent(type: string, fields: Record<string, unknown>): Promise<void> {
    await this.events.send(type, fields).catch((err: unknown) => this.logger.warn({ err, type }, 'could not send event'));
  }

  private async loop(): Promise<void> {
    while (!this.closing) {
      await this.slots.acquire();
      if (this.closing) {
        this.slots.release();
        break;
      }
      let popped: IPopped | null = null;
      try {
        popped = await this.popOne();
      } catch (err) {
        this.slots.release();
        this.logger.warn({ err }, 'consume failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (!popped) {
        this.slots.release();
        continue;
      }
      if (this.closing && popped.tag) {
        // Popped while shutting down: give it back rather than start work nobody waits for.
        await this.unacked.restore(popped.tag).catch((err: unknown) => this.logger.warn({ err }, 'could not restore message'));
        this.slots.release();
        break;
      }
      // kombu's round-robin cycle: the queue just served goes last.
      const i = this.cycle.indexOf(popped.queue);
      if (i >= 0 && this.cycle.length > 1) this.cycle.push(...this.cycle.splice(i, 1));
      this.track(this.dispatch(popped));
    }
  }

  /** Atomic pop+register when something is waiting; otherwise block on BRPOP like kombu. */
  private async popOne(): Promise<IPopped | null> {
    const keys = this.keys.brpopKeys(this.cycle);
    const fast = await this.unacked.pop(keys);
    if (fast) return fast;
    const res = await this.blocking.brpop(...keys, this.options.brpopTimeout ?? 1);
    if (!res) return null;
    const [key, raw] = res;
    const queue = this.keys.queueFromKey(key);
    let envelope: IEnvelope;
    try {
      envelope = decodeEnvelope(raw);
    } catch {
      return { queue, raw, tag: null };
    }
    const tag = envelope.properties.delivery_tag;
    if (typeof tag !== 'string') return { queue, raw, tag: null };
    const di = envelope.properties.delivery_info;
    await this.unacked.append(tag, raw, String(di.exchange ?? ''), String(di.routing_key ?? queue));
    return { queue, raw, tag };
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Holds a slot on entry; releases it exactly once. */
  private async dispatch(popped: IPopped): Promise<void> {
    let released = false;
    const release = (): void => {
      if (!released) {
        released = true;
        this.slots.release();
      }
    };
    try {
      if (!popped.tag) {
        let reason = 'message has no delivery tag';
        try {
          decodeEnvelope(popped.raw);
        } catch (err) {
          reason = (err as Error).message;
        }
        this.logger.warn({ queue: popped.queue, reason }, 'dropping unreadable message');
        return;
      }
      const tag = popped.tag;
      let msg: ITaskMessage;
      try {
        msg = decodeTaskMessage(popped.raw);
      } catch (err) {
        this.logger.warn({ queue: popped.queue, reason: (err as Error).message }, 'dropping malformed message');
        await this.unacked.ack(tag);
        return;
      }
      const handler = this.handlers.get(msg.headers.task);
      if (!handler) {
        this.logger.error({ task: msg.headers.task, id: msg.headers.id }, 'received unregistered task; dropping it');
        const err = new NotRegistered(msg.headers.task);
        await this.backend.markFailure(msg.headers.id, err);
        await this.unacked.ack(tag);
        return;
      }
      void this.sendEvent('task-received', {
        uuid: msg.headers.id, name: msg.headers.task, args: msg.headers.argsrepr, kwargs: msg.headers.kwargsrepr,
        root_id: msg.headers.root_id, parent_id: msg.headers.parent_id, retries: msg.headers.retries,
        eta: msg.headers.eta, expires: msg.headers.expires
      });
      const eta = msg.headers.eta ? Date.parse(msg.headers.eta) : NaN;
      if (Number.isFinite(eta) && eta > Date.now()) {
        release();
        await this.holdUntil(eta, tag);
        if (this.closing) return; // restored by shutdown or below
        await this.slots.acquire();
        released = false;
        if (this.closing) {
          await this.unacked.restore(tag);
          return;
        }
      }
      await this.run(msg, tag, handler);
    } catch (err) {
      this.logger.error({ err }, 'unexpected error handling a message; it stays unacked and will be restored');
    } finally {
      release();
    }
  }

  private holdUntil(when: number, tag: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.held.delete(tag);
        resolve();
      }, Math.min(when - Date.now(), 2 ** 31 - 1));
      this.held.set(tag, { timer, tag });
      // shutdown clears the timer; resolve then too so the dispatch settles
      const check = setInterval(() => {
        if (this.closing) {
          clearInterval(check);
          resolve();
        } else if (!this.held.has(tag)) clearInterval(check);
      }, 200);
    });
  }

  /** Waits for a run slot (the message may be prefetched), then runs it. */
  private async run(msg: ITaskMessage, tag: string, handler: TaskHandler): Promise<void> {
    const waits = this.runSlots.inUse >= this.runSlots.size;
    this.prefetched.add(tag);
    try {
      await this.runSlots.acquire();
    } finally {
      this.prefetched.delete(tag);
    }
    try {
      if (this.closing && waits) {
        // Prefetched, not started: give it back like kombu does on shutdown.
        await this.unacked.restore(tag);
        return;
      }
      await this.runNow(msg, tag, handler);
    } finally {
      this.runSlots.release();
    }
  }

  private async runNow(msg: ITaskMessage, tag: string, handler: TaskHandler): Promise<void> {
    const h = msg.headers;
    const id = h.id;
    if (this.revokedIds.has(id) || (await this.cmd.sismember(this.keys.revoked, id)) === 1) {
      await this.finishRevoked(msg, tag, false, 'revoked');
      return;
    }
    const expires = h.expires ? Date.parse(h.expires) : NaN;
    if (Number.isFinite(expires) && expires < Date.now()) {
      await this.finishRevoked(msg, tag, true, 'expired');
      return;
    }
    const controller = new AbortController();
    const startedAt = Date.now();
    this.running.set(id, { msg, tag, controller, startedAt });
    const hard = h.timelimit[0] ?? this.options.defaultTimeLimit ?? null;
    const limitTimer = hard
      ? setTimeout(() => controller.abort(new TimeLimitExceeded(`TimeLimitExceeded(${hard})`)), hard * 1000)
      : undefined;
    let handlerDone: Promise<unknown> = Promise.resolve();
    try {
      // Not awaited: commands on one connection run in order, so STARTED still lands before the
      // final state, and the handler starts a round trip earlier.
      if (h.ignore_result !== true) {
        void this.backend.markStarted(id, { pid: process.pid, hostname: this.hostname })
          .catch((err: unknown) => this.logger.warn({ err, id }, 'could not store STARTED'));
      }
      void this.sendEvent('task-started', { uuid: id });
      const ctx: ITaskContext = {
        taskId: id, taskName: h.task, args: msg.args, kwargs: msg.kwargs, retries: h.retries,
        signal: controller.signal, headers: h, deliveryInfo: msg.envelope.properties.delivery_info, hostname: this.hostname
      };
      handlerDone = Promise.resolve().then(() => handler(ctx));
      const aborted = new Promise<never>((_, reject) => {
        if (controller.signal.aborted) reject(controller.signal.reason);
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      });
      let value: unknown;
      try {
        value = await Promise.race([handlerDone, aborted]);
      } catch (err) {
        await this.finishError(msg, tag, controller.signal.aborted ? controller.signal.reason : err, err);
        return;
      }
      if (h.ignore_result !== true) await this.backend.markSuccess(id, value === undefined ? null : value);
      void this.sendEvent('task-succeeded', { uuid: id, result: pythonRepr(value ?? null), runtime: (Date.now() - startedAt) / 1000 });
      await this.unacked.ack(tag);
      this.processedCount++;
    } finally {
      clearTimeout(limitTimer);
      // The slot stays taken until the handler really returns, so the bound holds even for a
      // handler that ignores its signal.
      await handlerDone.catch(() => undefined);
      this.running.delete(id);
    }
  }

  private async finishRevoked(msg: ITaskMessage, tag: string, expired: boolean, reason: string, terminated = false): Promise<void> {
    await this.backend.markRevoked(msg.headers.id, reason);
    await this.sendEvent('task-revoked', { uuid: msg.headers.id, terminated, signum: terminated ? 15 : null, expired });
    await this.unacked.ack(tag);
  }

  private async finishError(msg: ITaskMessage, tag: string, reason: unknown, thrown: unknown): Promise<void> {
    const h = msg.headers;
    if (reason instanceof WorkerShutdownError) {
      await this.unacked.restore(tag);
      return;
    }
    if (reason instanceof TaskRevokedError) {
      await this.finishRevoked(msg, tag, false, 'terminated', true);
      this.processedCount++;
      return;
    }
    if (thrown instanceof Retry && (thrown.maxRetries === null || h.retries < thrown.maxRetries)) {
      await this.republishRetry(msg, thrown.countdown);
      if (h.ignore_result !== true) await this.backend.markRetry(h.id, thrown);
      await this.sendEvent('task-retried', { uuid: h.id, exception: exceptionRepr(exceptionInfo(thrown)), traceback: tracebackOf(thrown) });
      await this.unacked.ack(tag);
      this.processedCount++;
      return;
    }
    const failure = thrown instanceof Retry && thrown.cause !== undefined ? thrown.cause : reason;
    await this.backend.markFailure(h.id, failure);
    await this.sendEvent('task-failed', { uuid: h.id, exception: exceptionRepr(exceptionInfo(failure)), traceback: tracebackOf(failure) });
    await this.unacked.ack(tag);
    this.processedCount++;
  }

  private async republishRetry(msg: ITaskMessage, countdown: number): Promise<void> {
    const env = msg.envelope;
    const headers: Record<string, unknown> = { ...env.headers, retries: msg.headers.retries + 1, eta: isoUtc(new Date(Date.now() + countdown * 1000)) };
    delete headers.redelivered;
    const next: IEnvelope = {
      ...env,
      headers,
      properties: { ...env.properties, delivery_tag: randomUUID(), delivery_info: { ...env.properties.delivery_info } }
    };
    delete next.properties.delivery_info.redelivered;
    const queue = env.properties.delivery_info.routing_key;
    await this.cmd.lpush(this.keys.queue(queue, env.properties.priority), JSON.stringify(next));
  }
}

