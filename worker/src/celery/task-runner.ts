/**
 * The execution side of a worker: runs the handlers of the messages its consumer delivers, at most
 * `concurrency` at once, under their time limits; stores STARTED and the final state, sends the
 * task events, acks, and queues retries through the producer. Revoked and expired tasks are
 * skipped. It pops nothing itself (see `consumer.ts`).
 */
import type { IDelivery, IDeliveryHandler } from './consumer';
import { NotRegistered, Retry, TaskRevokedError, TimeLimitExceeded, WorkerShutdownError } from './errors';
import { exceptionInfo, exceptionRepr, tracebackOf } from './exception-info';
import { ExpiringSet } from './expiring-set';
import type { ICeleryLogger } from './logger';
import { setLongTimeout } from './long-timer';
import type { ITaskMessage } from './message';
import type { CeleryProducer } from './producer';
import { pythonRepr } from './python-repr';
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
  private stopping = false;
  /** Fires to give back every message waiting for a slot (see {@link giveBackWaiting}). */
  private giveBack = new AbortController();

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

  /** The running tasks, as pidbox `active` reports them. */
  describeActive(): Record<string, unknown>[] {
    return [...this.running.values()].map((r) => ({
      id: r.msg.headers.id, name: r.msg.headers.task, args: r.msg.args, kwargs: r.msg.kwargs,
      hostname: this.options.hostname, time_start: r.startedAt / 1000, acknowledged: false,
      delivery_info: r.msg.envelope.properties.delivery_info
    }));
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
    void this.options.sendEvent('task-received', {
      uuid: h.id, name: h.task, args: h.argsrepr, kwargs: h.kwargsrepr, root_id: h.root_id,
      parent_id: h.parent_id, retries: h.retries, eta: h.eta, expires: h.expires
    });
    return true;
  }

  /** Waits for a run slot (the message may be prefetched), then runs it. */
  async run(delivery: IDelivery): Promise<void> {
    const waits = this.slots.inUse >= this.slots.size;
    if (!(await this.slots.acquireUnless(this.giveBack.signal))) {
      // Given back while waiting (the worker paused): another worker may run it now.
      await this.options.unacked.restore(delivery.tag);
      return;
    }
    try {
      if (this.stopping && waits) {
        // Prefetched, not started: give it back like kombu does on shutdown.
        await this.options.unacked.restore(delivery.tag);
        return;
      }
      await this.runNow(delivery);
    } finally {
      this.slots.release();
    }
  }

  private async runNow({ msg, tag }: IDelivery): Promise<void> {
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
    const hard = h.timelimit[0] ?? this.options.defaultTimeLimit;
    // Chained: a limit over 24.8 days would otherwise fire at once (Node clamps long timers).
    const cancelLimit = hard
      ? setLongTimeout(() => controller.abort(new TimeLimitExceeded(`TimeLimitExceeded(${hard})`)), hard * 1000)
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
        signal: controller.signal, headers: h, deliveryInfo: msg.envelope.properties.delivery_info, hostname
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
      this.processedCount++;
    } finally {
      cancelLimit?.();
      // The slot stays taken until the handler really returns, so the bound holds even for a
      // handler that ignores its signal.
      await handlerDone.catch(() => undefined);
      this.running.delete(id);
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
      this.processedCount++;
      return;
    }
    if (thrown instanceof Retry && (thrown.maxRetries === null || h.retries < thrown.maxRetries)) {
      await this.options.producer.retry(msg, thrown.countdown);
      if (h.ignore_result !== true) await backend.markRetry(h.id, thrown);
      await this.options.sendEvent('task-retried', { uuid: h.id, exception: exceptionRepr(exceptionInfo(thrown)), traceback: tracebackOf(thrown) });
      await unacked.ack(tag);
      this.processedCount++;
      return;
    }
    const failure = thrown instanceof Retry && thrown.cause !== undefined ? thrown.cause : reason;
    await backend.markFailure(h.id, failure);
    await this.options.sendEvent('task-failed', { uuid: h.id, exception: exceptionRepr(exceptionInfo(failure)), traceback: tracebackOf(failure) });
    await unacked.ack(tag);
    this.processedCount++;
  }
}
