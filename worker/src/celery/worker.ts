/**
 * A Celery worker on Redis: a {@link CeleryConsumer} (kombu-compatible pop with `acks_late`,
 * prefetch, eta holding, visibility-timeout restore) feeding a {@link TaskRunner} (handlers with
 * bounded concurrency, time limits, results, retries through the producer), plus the worker's
 * Celery events (online, heartbeat, offline) and its pidbox control server.
 */
import { hostname as osHostname } from 'node:os';
import type Redis from 'ioredis';
import { CeleryConsumer } from './consumer';
import { ControlServer } from './control';
import { celeryControlCommands, type IControlTarget } from './control-commands';
import { WorkerShutdownError } from './errors';
import { EventDispatcher } from './event-dispatcher';
import { CeleryKeys } from './keys';
import { stderrLogger, type ICeleryLogger } from './logger';
import { CeleryProducer } from './producer';
import { ResultBackend } from './result-backend';
import { defaultRevokeExpires } from './revoked-registry';
import { defaultSoftware, type ISoftwareInfo } from './software';
import type { TaskHandler } from './task-context';
import { TaskRunner } from './task-runner';
import { requestInfo } from './request-info';
import { brokerInfo, maskedRedisUrl, reportText, rusage } from './worker-info';
import { DEFAULT_VISIBILITY_TIMEOUT, UnackedStore } from './unacked-store';

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
  /** Labels reported in heartbeats (an extra field Python workers do not send). @defaultValue the queues */
  labels?: string[];
  /** @defaultValue `new CeleryKeys()` */
  keys?: CeleryKeys;
  /** Seconds before an unacked message of a dead worker is restored. @defaultValue `3600` (kombu) */
  visibilityTimeout?: number;
  /** Milliseconds between `restore_visible` (and lost-worker) sweeps. @defaultValue `10000` */
  restoreIntervalMs?: number;
  /**
   * Milliseconds after its last refresh that a worker killed without closing counts as lost: then
   * the survivors give back the messages it held (running or prefetched), without waiting for the
   * visibility timeout. Python workers' messages are left to the timeout. @defaultValue `15000`
   */
  lostAfterMs?: number;
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
  /** `sw_ident` and `sw_ver` of events and `stats`. @defaultValue `nbgrid` and this package's version */
  software?: ISoftwareInfo;
  /** @defaultValue warnings and errors to stderr */
  logger?: ICeleryLogger;
  /**
   * Called after `pool_grow`, `pool_shrink` or `autoscale` changed the concurrency, so what runs
   * the tasks (a kernel pool) can follow. @defaultValue nothing
   */
  onConcurrencyChange?: (concurrency: number) => void;
  /** Called after `add_consumer` / `cancel_consumer` changed the queues consumed. @defaultValue nothing */
  onQueuesChange?: (queues: string[]) => void;
  /**
   * What the pidbox `shutdown` command does. @defaultValue a warm shutdown: {@link CeleryWorker.close}
   * (running tasks finish, unstarted messages go back to their queues)
   */
  onShutdownRequest?: () => void;
  /** Settings added to the pidbox `conf` reply (Celery's setting names). @defaultValue none */
  conf?: Record<string, unknown>;
}

export class CeleryWorker {
  readonly hostname: string;
  private readonly keys: CeleryKeys;
  private readonly redis: Redis;
  private readonly startedAt = Date.now();
  private readonly prefetch: number;
  private labels: string[];
  private autoscaleBounds: [number, number] | null = null;
  private heartbeatPending = false;
  private readonly cmd: Redis;
  private readonly blocking: Redis;
  private readonly events: EventDispatcher;
  private readonly control: ControlServer;
  private readonly runner: TaskRunner;
  private readonly consumer: CeleryConsumer;
  private readonly unacked: UnackedStore;
  private readonly logger: ICeleryLogger;
  private readonly software: ISoftwareInfo;
  private readonly heartbeatFreq: number;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private pausedReason: string | null = null;
  private started: Promise<void> | null = null;
  private closePromise: Promise<void> | null = null;

  /** @param redis a connection the worker duplicates (it does not close the one given). */
  constructor(redis: Redis, private readonly options: ICeleryWorkerOptions = {}) {
    this.hostname = options.hostname ?? `nbgrid-${process.pid}@${osHostname()}`;
    const queues = [...(options.queues ?? ['celery'])];
    const concurrency = options.concurrency ?? 1;
    this.labels = [...(options.labels ?? queues)];
    this.prefetch = Math.max(0, Math.floor(options.prefetch ?? 0));
    this.redis = redis;
    this.keys = options.keys ?? new CeleryKeys();
    this.logger = options.logger ?? stderrLogger;
    this.software = options.software ?? defaultSoftware();
    this.heartbeatFreq = options.heartbeatFreq ?? 2;
    this.cmd = redis.duplicate();
    this.blocking = redis.duplicate();
    for (const conn of [this.cmd, this.blocking]) conn.on('error', (err: unknown) => this.logger.warn({ err }, 'redis connection error'));
    const visibility = options.visibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT;
    const touchIntervalMs = Math.max(100, Math.min(this.heartbeatFreq * 1000, (visibility * 1000) / 3));
    const unacked = new UnackedStore(this.cmd, this.keys, {
      visibilityTimeout: visibility,
      holder: this.hostname,
      // Several refreshes fit in it, so a slow event loop is not taken for a dead worker.
      lostAfterMs: Math.max(options.lostAfterMs ?? 15000, 3 * touchIntervalMs)
    });
    this.unacked = unacked;
    const backend = new ResultBackend(this.cmd, { resultExpires: options.resultExpires });
    const producer = new CeleryProducer(this.cmd, {
      keys: this.keys,
      backend,
      revokeExpires: defaultRevokeExpires(backend.resultExpires, unacked.visibilityTimeout)
    });
    this.events = new EventDispatcher(this.cmd, this.keys, this.hostname, options.sendEvents ?? true);
    this.runner = new TaskRunner({
      hostname: this.hostname,
      concurrency,
      defaultTimeLimit: options.defaultTimeLimit ?? null,
      unacked,
      backend,
      producer,
      sendEvent: (type, fields) => this.sendEvent(type, fields),
      logger: this.logger,
      // Counts in heartbeats follow each task at once, not up to `freq` seconds later.
      onCountsChange: () => this.heartbeatSoon()
    });
    this.consumer = new CeleryConsumer(this.blocking, this.runner, {
      queues,
      capacity: concurrency + this.prefetch,
      keys: this.keys,
      unacked,
      logger: this.logger,
      restoreIntervalMs: options.restoreIntervalMs ?? 10000,
      touchIntervalMs,
      brpopTimeout: options.brpopTimeout ?? 1
    });
    this.control = new ControlServer(redis, {
      keys: this.keys,
      hostname: this.hostname,
      logger: this.logger,
      tick: () => this.events.tick(),
      commands: celeryControlCommands(this.controlTarget())
    });
  }

  /** Queues consumed now. */
  get queues(): string[] {
    return this.consumer.queues;
  }

  /** Handlers allowed to run at once now. */
  get concurrency(): number {
    return this.runner.concurrency;
  }

  /**
   * Change how many tasks run at once (Celery's `pool_grow` / `pool_shrink`); running tasks go on,
   * the new bound applies to the next ones. Heartbeats report it.
   */
  setConcurrency(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`concurrency must be a positive integer, got ${n}`);
    if (n === this.runner.concurrency) return;
    this.runner.setConcurrency(n);
    this.consumer.setCapacity(n + this.prefetch);
    this.options.onConcurrencyChange?.(n);
    this.heartbeatSoon();
  }

  /**
   * Consume one more queue (Celery's `add_consumer`): bound like kombu binds it, served from the
   * next pop, and added to the labels the heartbeats report.
   */
  async addQueue(queue: string): Promise<void> {
    if (!this.consumer.addQueue(queue)) return;
    if (!this.labels.includes(queue)) this.labels.push(queue);
    const member = CeleryKeys.bindingMember(queue, queue);
    await this.cmd.pipeline().sadd(this.keys.binding(queue), member).sadd(this.keys.bindingPermanent(queue), member).exec();
    this.options.onQueuesChange?.(this.queues);
    this.heartbeatSoon();
  }

  /** Stop consuming a queue (Celery's `cancel_consumer`); messages of it already held still run. */
  cancelQueue(queue: string): void {
    if (!this.consumer.removeQueue(queue)) return;
    this.labels = this.labels.filter((l) => l !== queue);
    this.options.onQueuesChange?.(this.queues);
    this.heartbeatSoon();
  }

  /** Worker statistics as Celery's `stats` reply has them. */
  stats(): Record<string, unknown> {
    const concurrency = this.runner.concurrency;
    return {
      total: this.runner.totalsByName(),
      pid: process.pid,
      clock: String(this.events.clockValue),
      uptime: Math.round((Date.now() - this.startedAt) / 1000),
      pool: {
        implementation: `${this.software.ident}:TaskRunner`,
        'max-concurrency': concurrency,
        // Handlers run in this process; there are no child processes to list.
        processes: [process.pid],
        'max-tasks-per-child': 'N/A',
        'put-guarded-by-semaphore': true,
        timeouts: [0, this.options.defaultTimeLimit ?? 0]
      },
      ...(this.autoscaleBounds ? { autoscaler: { max: this.autoscaleBounds[0], min: this.autoscaleBounds[1], qty: concurrency } } : {}),
      broker: brokerInfo(this.redis, { visibility_timeout: this.unacked.visibilityTimeout }),
      prefetch_count: concurrency + this.prefetch,
      rusage: rusage(),
      sw_ident: this.software.ident,
      sw_ver: this.software.version
    };
  }

  private conf(): Record<string, unknown> {
    return {
      broker_url: maskedRedisUrl(this.redis),
      result_backend: maskedRedisUrl(this.redis),
      worker_concurrency: this.runner.concurrency,
      worker_prefetch_multiplier: 1,
      worker_send_task_events: this.events.taskEvents,
      task_acks_late: true,
      task_default_queue: this.queues[0] ?? null,
      broker_transport_options: { visibility_timeout: this.unacked.visibilityTimeout },
      ...this.options.conf
    };
  }

  private controlTarget(): IControlTarget {
    const queueInfo = (q: string): Record<string, unknown> => ({
      name: q,
      exchange: { name: q, type: 'direct', arguments: null, durable: true, passive: false, auto_delete: false, delivery_mode: null, no_declare: false },
      routing_key: q, queue_arguments: null, binding_arguments: null, consumer_arguments: null, durable: true, exclusive: false,
      auto_delete: false, no_ack: false, alias: null, bindings: [], no_declare: null, expires: null, message_ttl: null,
      max_length: null, max_length_bytes: null, max_priority: null
    });
    return {
      revoke: (ids, terminate) => this.revoke(ids, terminate),
      runningOf: (ids) => ids.filter((id) => this.runner.describeTask(id)?.[0] === 'active'),
      stats: () => this.stats(),
      active: (safe) => this.runner.describeActive(safe),
      reserved: (safe) => this.runner.describeReserved(safe),
      scheduled: (safe) => this.consumer.scheduled().map((s) => ({
        eta: new Date(s.eta).toISOString().replace('Z', '+00:00'), priority: s.priority, request: requestInfo(s.msg, this.hostname, null, safe)
      })),
      revoked: () => this.runner.revokedList(),
      registered: () => this.runner.registered(),
      activeQueues: () => this.queues.map(queueInfo),
      conf: () => this.conf(),
      report: () => reportText(this.software, this.conf()),
      queryTask: (id) => {
        const held = this.runner.describeTask(id);
        if (held) return held;
        const s = this.consumer.scheduled().find((x) => x.msg.headers.id === id);
        return s ? ['scheduled', requestInfo(s.msg, this.hostname, null)] : undefined;
      },
      clock: () => this.events.clockValue,
      addConsumer: (queue) => {
        this.addQueue(queue).catch((err: unknown) => this.logger.warn({ err, queue }, 'could not add the consumer'));
      },
      cancelConsumer: (queue) => this.cancelQueue(queue),
      concurrency: () => this.runner.concurrency,
      setConcurrency: (n) => this.setConcurrency(n),
      autoscale: (max, min) => {
        // No load-driven scaler: the pool takes the upper bound, like an autoscaler under load.
        this.autoscaleBounds = [max, min];
        this.setConcurrency(max);
        return [max, min];
      },
      rateLimit: (name, rate) => this.runner.setRateLimit(name, rate),
      timeLimit: (name, soft, hard) => this.runner.setTimeLimits(name, { soft, hard }),
      setTaskEvents: (on) => {
        const changed = this.events.taskEvents !== on;
        this.events.taskEvents = on;
        return changed;
      },
      heartbeat: () => void this.sendEvent('worker-heartbeat', this.workerFields()),
      shutdown: () => {
        this.logger.warn({}, 'Got shutdown from remote');
        if (this.options.onShutdownRequest) this.options.onShutdownRequest();
        else void this.close();
      }
    };
  }

  /** One heartbeat soon, carrying the current counts; several changes in one tick send one. */
  private heartbeatSoon(): void {
    if (this.heartbeatPending || !this.started || this.closePromise) return;
    this.heartbeatPending = true;
    setImmediate(() => {
      this.heartbeatPending = false;
      void this.sendEvent('worker-heartbeat', this.workerFields());
    });
  }

  /** Why the worker is paused (see {@link pause}), or null while it consumes. */
  get paused(): string | null {
    return this.pausedReason;
  }

  /**
   * Stop taking messages and give back the ones held but not started (they go back to their
   * queues for other workers); running tasks go on. Heartbeats carry `paused: reason` from now
   * on (an extra field, like `labels`). Calling it again only updates the reason.
   */
  pause(reason: string): void {
    const changed = this.pausedReason !== reason;
    this.pausedReason = reason;
    this.consumer.pause();
    this.runner.giveBackWaiting();
    if (changed && this.started) void this.sendEvent('worker-heartbeat', this.workerFields());
  }

  /** Take messages again after {@link pause}. Idempotent. */
  resume(): void {
    if (this.pausedReason === null) return;
    this.pausedReason = null;
    this.consumer.resume();
    if (this.started) void this.sendEvent('worker-heartbeat', this.workerFields());
  }

  /** Handlers running now. */
  get active(): number {
    return this.runner.active;
  }

  get processed(): number {
    return this.runner.processed;
  }

  /** Register the handler of a task name. */
  register(taskName: string, handler: TaskHandler): this {
    this.runner.register(taskName, handler);
    return this;
  }

  /** Start consuming; resolves once subscribed and online. Idempotent. */
  start(): Promise<void> {
    this.started ??= this.startOnce();
    return this.started;
  }

  private async startOnce(): Promise<void> {
    await this.control.start();
    // Bind the queues like kombu so Python tools see them.
    const pipeline = this.cmd.pipeline();
    for (const q of this.queues) {
      const member = CeleryKeys.bindingMember(q, q);
      pipeline.sadd(this.keys.binding(q), member).sadd(this.keys.bindingPermanent(q), member);
    }
    await pipeline.exec();
    await this.sendEvent('worker-online', this.workerFields());
    this.heartbeatTimer = setInterval(() => void this.sendEvent('worker-heartbeat', this.workerFields()), this.heartbeatFreq * 1000);
    this.consumer.start();
  }

  /** Mark task ids revoked; running ones are aborted when `terminate`. */
  revoke(taskIds: string[], terminate = false): void {
    this.runner.revoke(taskIds, terminate);
  }

  /**
   * Stop popping, let running tasks finish and ack them. After `timeoutMs` the rest are aborted
   * and their messages restored to the queue. Whatever Redis does (it may be gone), the promise
   * settles within `timeoutMs + finishMs`: the last steps (restores, the offline event) get
   * `finishMs`, then the connections are dropped. Idempotent.
   */
  close(options: { timeoutMs?: number; finishMs?: number } = {}): Promise<void> {
    this.closePromise ??= this.shutdown(options.timeoutMs ?? 30000, options.finishMs ?? 5000);
    return this.closePromise;
  }

  private async shutdown(timeoutMs: number, finishMs: number): Promise<void> {
    const finished = await within(this.finishShutdown(timeoutMs), timeoutMs + finishMs);
    if (!finished) this.logger.warn({ timeoutMs, finishMs }, 'worker did not close in time (Redis unreachable?); dropping its connections');
    this.control.close().catch(() => undefined);
    this.blocking.disconnect();
    this.cmd.disconnect();
  }

  private async finishShutdown(timeoutMs: number): Promise<void> {
    await this.started?.catch(() => undefined);
    clearInterval(this.heartbeatTimer);
    this.consumer.stop();
    this.runner.stop();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.consumer.settled().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)))
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.runner.abortAll(new WorkerShutdownError());
      await this.consumer.settled();
    }
    await this.consumer.ended();
    // Everything is acked or given back: nothing of ours is left for survivors to restore.
    await this.unacked.retire().catch((err: unknown) => this.logger.warn({ err }, 'could not remove the alive key'));
    await this.sendEvent('worker-offline', this.workerFields());
    await this.control.close();
    this.blocking.disconnect();
    await this.cmd.quit().catch(() => this.cmd.disconnect());
  }

  private workerFields(): Record<string, unknown> {
    return EventDispatcher.workerFields(
      {
        freq: this.heartbeatFreq,
        active: this.runner.active,
        processed: this.runner.processed,
        labels: this.labels,
        concurrency: this.runner.concurrency,
        paused: this.pausedReason
      },
      this.software
    );
  }

  private async sendEvent(type: string, fields: Record<string, unknown>): Promise<void> {
    await this.events.send(type, fields).catch((err: unknown) => this.logger.warn({ err, type }, 'could not send event'));
  }
}

/** True when `work` settled within `ms`; false when the time ran out first (work goes on unobserved). */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const done = work.then(() => true, () => true);
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}
