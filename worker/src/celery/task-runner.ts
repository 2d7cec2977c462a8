/**
 * The execution side of a worker: runs the handlers of the messages its consumer delivers, at most
 * `concurrency` at once, under their time limits; stores STARTED and the final state, sends the
 * task events, acks, and queues retries through the producer. Revoked and expired tasks are
 * skipped. It pops nothing itself (see `consumer.ts`).
 */
import type { IDelivery, IDeliveryHandler } from './consumer';
import { NotRegistered, Retry, SoftTimeLimitExceeded, TaskRevokedError, TimeLimitExceeded, WorkerShutdownError } from './errors';
import { exceptionInfo, exceptionRepr, tracebackOf } from './exception-info';
import { ExpiringSet } from './expiring-set';
import type { ICeleryLogger } from './logger';
import { setLongTimeout } from './long-timer';
import type { ITaskMessage } from './message';
import type { CeleryProducer } from './producer';
import { pythonRepr } from './python-repr';
import { parseRate, RateLimiter } from './rate-limit';
import { requestInfo } from './request-info';
import type { ResultBackend } from './result-backend';
import { Semaphore } from './semaphore';
import type { ITaskContext, TaskHandler } from './task-context';
import type { UnackedStore } from './unacked-store';

export interface ITaskRunnerOptions {
  /** Celery node name, given to handlers and stored with STARTED. */
  hostname: string;
  /** Handlers running at once, at most. */
  concurrency: number;
  /** Hard time limit in seconds for messages that set none; `null` for none. */
  defaultTimeLimit: number | null;
  unacked: UnackedStore;
  backend: ResultBackend;
  /** Queues retries; its revoked registry is checked before a task runs. */
  producer: CeleryProducer;
  /** Sends one Celery event; failures are the sender's to report. */
  sendEvent: (type: string, fields: Record<string, unknown>) => Promise<void>;
  logger: ICeleryLogger;
  /** Called whenever the running or finished counts change (a task started or ended). */
  onCountsChange?: () => void;
}

/** Time limits in seconds set at run time for a task name (`time_limit` control command). */
export interface ITimeLimits {
  soft: number | null;
  hard: number | null;
}

interface IRunning {
  msg: ITaskMessage;
  controller: AbortController;
  startedAt: number;
}

export class TaskRunner implements IDeliveryHandler {
  private readonly handlers = new Map<string, TaskHandler>();
  private readonly running = new Map<string, IRunning>();
  private readonly slots: Semaphore;
  /** Ids revoked by pidbox broadcast, kept as long as the producer's registry keeps them. */
  private readonly revokedIds: ExpiringSet;
  private processedCount = 0;
  /** Finished tasks per task name (`stats.total`). */
  private readonly totals = new Map<string, number>();
  /** Delivered, not started: prefetched, waiting for a slot or a rate-limit turn (`reserved`). */
  private readonly waiting = new Map<string, ITaskMessage>();
  private readonly rates = new RateLimiter();
  /** Fires when a rate limit changes, so tasks waiting for their turn look again. */
  private rateChange = new AbortController();
  private readonly timeLimits = new Map<string, ITimeLimits>();
  private stopping = false;
  /** Fires to give back every message waiting for a slot (see {@link giveBackWaiting}). */
  private giveBack = new AbortController();
  /** Handlers that gave their run slot back early and are finishing (see `ITaskContext.releaseSlot`). */
  private finishing = 0;

  constructor(private readonly options: ITaskRunnerOptions) {
    this.slots = new Semaphore(options.concurrency);
    this.revokedIds = new ExpiringSet(options.producer.revoked.expires * 1000);
  }

  /** Handlers running now. */
  get active(): number {
    return this.running.size;
  }

  /** Tasks finished (succeeded, failed, retried or terminated) since start. */
  get processed(): number {
    return this.processedCount;
  }

  register(taskName: string, handler: TaskHandler): void {
    this.handlers.set(taskName, handler);
  }

  /** Handlers allowed at once. */
  get concurrency(): number {
    return this.slots.size;
  }

  /** Change how many handlers run at once; applies to the next task (running ones go on). */
  setConcurrency(n: number): void {
    this.slots.resize(n);
  }

  /** Finished tasks per task name, as `stats.total` reports them. */
  totalsByName(): Record<string, number> {
    return Object.fromEntries(this.totals);
  }

  /** Registered task names, sorted, as `registered` reports them (`name [rate_limit=10/m]`). */
  registered(): string[] {
    return [...this.handlers.keys()].sort().map((name) => {
      const rate = this.rates.get(name);
      return rate ? `${name} [rate_limit=${rate}]` : name;
    });
  }

  /**
   * Set the rate limit of a task name (Celery's `rate_limit`), for tasks starting from now.
   * @returns Celery's reply text
   * @throws RangeError for an unknown task or a rate that is not `N/s|m|h`
   */
  setRateLimit(taskName: string, rate: string | number | null): string {
    if (!this.handlers.has(taskName)) throw new RangeError('unknown task');
    const perSecond = parseRate(rate);
    this.rates.set(taskName, String(rate ?? ''), perSecond);
    this.rateChange.abort();
    this.rateChange = new AbortController();
    return perSecond > 0 ? 'new rate limit set successfully' : 'rate limit disabled successfully';
  }

  /**
   * Set the soft and hard time limits of a task name (Celery's `time_limit`) for tasks starting
   * from now; a message's own `timelimit` header still wins, as in Celery.
   * @throws RangeError for an unknown task
   */
  setTimeLimits(taskName: string, limits: ITimeLimits): void {
    if (!this.handlers.has(taskName)) throw new RangeError('unknown task');
    this.timeLimits.set(taskName, limits);
  }

  /** The running tasks, as pidbox `active` reports them. */
  describeActive(safe = false): Record<string, unknown>[] {
    return [...this.running.values()].map((r) => requestInfo(r.msg, this.options.hostname, r.startedAt, safe));
  }

  /** Delivered tasks not started yet, as pidbox `reserved` reports them. */
  describeReserved(safe = false): Record<string, unknown>[] {
    return [...this.waiting.values()].map((msg) => requestInfo(msg, this.options.hostname, null, safe));
  }

  /** `[state, info]` of a task this runner holds (`active` or `reserved`), else undefined. */
  describeTask(id: string): [string, Record<string, unknown>] | undefined {
    const run = this.running.get(id);
    if (run) return ['active', requestInfo(run.msg, this.options.hostname, run.startedAt)];
    const msg = this.waiting.get(id);
    return msg ? ['reserved', requestInfo(msg, this.options.hostname, null)] : undefined;
  }

  /** Ids revoked by broadcast and still remembered, oldest first (pidbox `revoked`). */
  revokedList(): string[] {
    return this.revokedIds.values();
  }

  /** Mark task ids revoked; running ones are aborted when `terminate`. */
  revoke(taskIds: string[], terminate = false): void {
    for (const id of taskIds) {
      this.revokedIds.add(id);
      const run = this.running.get(id);
      if (run && terminate) run.controller.abort(new TaskRevokedError('terminated'));
    }
  }

  /** From now on, messages still waiting for a slot are given back instead of run. */
  stop(): void {
    this.stopping = true;
    // A warm shutdown gives back what has not started at once, rather than after the running ones.
    this.giveBackWaiting();
  }

  /**
   * Give back, now, every message waiting for a run slot (prefetched, not started): they go back to
   * their queue for other workers. Used when the worker pauses. Running handlers are not touched.
   */
  giveBackWaiting(): void {
    this.giveBack.abort();
    this.giveBack = new AbortController();
  }

  /** Abort every running handler with `reason` (close timed out). */
  abortAll(reason: unknown): void {
    for (const run of this.running.values()) run.controller.abort(reason);
  }

  /** Fails and acks unregistered tasks; sends task-received for the others. */
  async received({ msg, tag }: IDelivery): Promise<boolean> {
    const h = msg.headers;
    if (!this.handlers.has(h.task)) {
      this.options.logger.error({ task: h.task, id: h.id }, 'received unregistered task; dropping it');
      await this.options.backend.markFailure(h.id, new NotRegistered(h.task));
      await this.options.unacked.ack(tag);
      return false;
    }
    const di = msg.envelope.properties.delivery_info;
    // exchange and routing_key are extras Celery 5 sends only in task-sent: Flower shows them
    // from whichever event carries them, so they show for tasks sent without task-sent too.
    void this.options.sendEvent('task-received', {
      uuid: h.id, name: h.task, args: h.argsrepr, kwargs: h.kwargsrepr, root_id: h.root_id,
      parent_id: h.parent_id, retries: h.retries, eta: h.eta, expires: h.expires,
      exchange: di.exchange ?? '', routing_key: di.routing_key
    });
    return true;
  }

  /** Waits for a run slot (the message may be prefetched), then runs it. */
  async run(delivery: IDelivery): Promise<void> {
    const id = delivery.msg.headers.id;
    this.waiting.set(id, delivery.msg);
    let acquired = false;
    // Whether this delivery still holds its run slot, and whether it counts as finishing.
    let held = false;
    let finishing = false;
    try {
      const waits = this.slots.inUse >= this.slots.size;
      const turn = await this.waitForRate(delivery.msg.headers.task, this.giveBack.signal);
      acquired = turn && (await this.slots.acquireUnless(this.giveBack.signal));
      if (!acquired || (this.stopping && waits)) {
        // Given back while waiting (pause, shutdown): another worker may run it now.
        this.waiting.delete(id);
        await this.giveBackMessage(delivery);
        return;
      }
      this.waiting.delete(id);
      held = true;
      // At most one finishing handler per slot: more wait for their slot's release as before, so
      // what is held in memory stays bounded.
      const releaseSlot = (): void => {
        if (!held || this.finishing >= this.slots.size) return;
        held = false;
        finishing = true;
        this.finishing++;
        this.slots.release();
      };
      await this.runNow(delivery, releaseSlot);
    } finally {
      this.waiting.delete(id);
      if (held) this.slots.release();
      if (finishing) this.finishing--;
    }
  }

  /** Waits for the task name's rate-limit turn; false when `cancel` fired first. */
  private async waitForRate(taskName: string, cancel: AbortSignal): Promise<boolean> {
    for (;;) {
      const ms = this.rates.reserve(taskName);
      if (ms <= 0) return !cancel.aborted;
      const changed = this.rateChange.signal;
      const outcome = await new Promise<'due' | 'cancelled' | 'changed'>((resolve) => {
        const done = (how: 'due' | 'cancelled' | 'changed'): void => {
          clearTimeout(timer);
          cancel.removeEventListener('abort', onCancel);
          changed.removeEventListener('abort', onChange);
          resolve(how);
        };
        const onCancel = (): void => done('cancelled');
        const onChange = (): void => done('changed');
        const timer = setTimeout(() => done('due'), ms);
        cancel.addEventListener('abort', onCancel, { once: true });
        changed.addEventListener('abort', onChange, { once: true });
      });
      if (outcome !== 'changed') return outcome === 'due';
    }
  }

  /** Restore an unstarted message to its queue (Celery's `reject(requeue=True)`) and say so. */
  private async giveBackMessage({ msg, tag }: IDelivery): Promise<void> {
    await this.options.unacked.restore(tag);
    void this.options.sendEvent('task-rejected', { uuid: msg.headers.id, requeue: true });
  }

  private countDone(taskName: string): void {
    this.processedCount++;
    this.totals.set(taskName, (this.totals.get(taskName) ?? 0) + 1);
  }

  /** Runs a message now; `releaseSlot` is handed to its handler (see `ITaskContext.releaseSlot`). */
  private async runNow({ msg, tag }: IDelivery, releaseSlot?: () => void): Promise<void> {
    const { backend, unacked, hostname } = this.options;
    const h = msg.headers;
    const id = h.id;
    if (this.revokedIds.has(id) || (await this.options.producer.revoked.has(id))) {
      await this.finishRevoked(msg, tag, false, 'revoked');
      return;
    }
    const expires = h.expires ? Date.parse(h.expires) : NaN;
    if (Number.isFinite(expires) && expires < Date.now()) {
      await this.finishRevoked(msg, tag, true, 'expired');
      return;
    }
    const handler = this.handlers.get(h.task) as TaskHandler;
    const controller = new AbortController();
    const startedAt = Date.now();
    this.running.set(id, { msg, controller, startedAt });
    this.options.onCountsChange?.();
    const set = this.timeLimits.get(h.task);
    const hard = h.timelimit[0] ?? set?.hard ?? this.options.defaultTimeLimit;
    const soft = h.timelimit[1] ?? set?.soft ?? null;
    // Chained: a limit over 24.8 days would otherwise fire at once (Node clamps long timers).
    const cancelLimit = hard
      ? setLongTimeout(() => controller.abort(new TimeLimitExceeded(`TimeLimitExceeded(${hard})`)), hard * 1000)
      : undefined;
    const cancelSoft = soft && (!hard || soft < hard)
      ? setLongTimeout(() => controller.abort(new SoftTimeLimitExceeded(`SoftTimeLimitExceeded(${soft})`)), soft * 1000)
      : undefined;
    let handlerDone: Promise<unknown> = Promise.resolve();
    try {
      // Not awaited: commands on one connection run in order, so STARTED still lands before the
      // final state, and the handler starts a round trip earlier.
      if (h.ignore_result !== true) {
        void backend.markStarted(id, { pid: process.pid, hostname })
          .catch((err: unknown) => this.options.logger.warn({ err, id }, 'could not store STARTED'));
      }
      void this.options.sendEvent('task-started', { uuid: id });
      const ctx: ITaskContext = {
        taskId: id, taskName: h.task, args: msg.args, kwargs: msg.kwargs, retries: h.retries,
        signal: controller.signal, headers: h, deliveryInfo: msg.envelope.properties.delivery_info, hostname,
        ...(releaseSlot ? { releaseSlot } : {})
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
      if (h.ignore_result !== true) await backend.markSuccess(id, value === undefined ? null : value);
      void this.options.sendEvent('task-succeeded', { uuid: id, result: pythonRepr(value ?? null), runtime: (Date.now() - startedAt) / 1000 });
      await unacked.ack(tag);
      this.countDone(h.task);
    } finally {
      cancelLimit?.();
      cancelSoft?.();
      // The slot stays taken until the handler really returns (or gave it back itself, see
      // ITaskContext.releaseSlot), so the bound holds even for a handler that ignores its signal.
      await handlerDone.catch(() => undefined);
      this.running.delete(id);
      this.options.onCountsChange?.();
    }
  }

  private async finishRevoked(msg: ITaskMessage, tag: string, expired: boolean, reason: string, terminated = false): Promise<void> {
    await this.options.backend.markRevoked(msg.headers.id, reason);
    await this.options.sendEvent('task-revoked', { uuid: msg.headers.id, terminated, signum: terminated ? 15 : null, expired });
    await this.options.unacked.ack(tag);
  }

  private async finishError(msg: ITaskMessage, tag: string, reason: unknown, thrown: unknown): Promise<void> {
    const { backend, unacked } = this.options;
    const h = msg.headers;
    if (reason instanceof WorkerShutdownError) {
      await unacked.restore(tag);
      return;
    }
    if (reason instanceof TaskRevokedError) {
      await this.finishRevoked(msg, tag, false, 'terminated', true);
      this.countDone(h.task);
      return;
    }
    if (thrown instanceof Retry && (thrown.maxRetries === null || h.retries < thrown.maxRetries)) {
      await this.options.producer.retry(msg, thrown.countdown);
      if (h.ignore_result !== true) await backend.markRetry(h.id, thrown);
      await this.options.sendEvent('task-retried', { uuid: h.id, exception: exceptionRepr(exceptionInfo(thrown)), traceback: tracebackOf(thrown) });
      await unacked.ack(tag);
      this.countDone(h.task);
      return;
    }
    const failure = thrown instanceof Retry && thrown.cause !== undefined ? thrown.cause : reason;
    await backend.markFailure(h.id, failure);
    await this.options.sendEvent('task-failed', { uuid: h.id, exception: exceptionRepr(exceptionInfo(failure)), traceback: tracebackOf(failure) });
    await unacked.ack(tag);
    this.countDone(h.task);
  }
}
