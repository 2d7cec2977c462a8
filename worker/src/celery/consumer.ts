/**
 * The transport side of a worker (kombu's consumer and `QoS`): pops task messages with
 * at-least-once delivery (kombu's unacked hash + index), holds at most `capacity` of them (running
 * plus prefetched), keeps the ones it holds fresh in the unacked index, restores the messages of
 * dead workers (`restore_visible`, and soon after their alive key expires: `restoreLost`), holds eta messages until due, and hands every readable message
 * to its {@link IDeliveryHandler}. It runs no task itself. The loop survives bad messages and
 * Redis reconnects.
 */
import type Redis from 'ioredis';
import type { CeleryKeys } from './keys';
import type { ICeleryLogger } from './logger';
import { decodeEnvelope, decodeTaskMessage, type IEnvelope, type ITaskMessage } from './message';
import { Semaphore } from './semaphore';
import type { IPopped, UnackedStore } from './unacked-store';

/** A readable task message registered as unacked under `tag`. */
export interface IDelivery {
  msg: ITaskMessage;
  tag: string;
}

/** What the consumer hands messages to (the task runner). */
export interface IDeliveryHandler {
  /** Called on arrival, before any eta wait. Resolves false when it dealt with (and acked) the message already. */
  received(delivery: IDelivery): Promise<boolean>;
  /** Runs a due message; resolves once it is acked or restored. */
  run(delivery: IDelivery): Promise<void>;
}

export interface ICeleryConsumerOptions {
  /** Queues in priority order for kombu's round-robin cycle. */
  queues: string[];
  /** Messages held at once, running or prefetched (messages waiting for their eta are not counted). */
  capacity: number;
  keys: CeleryKeys;
  unacked: UnackedStore;
  logger: ICeleryLogger;
  /** Milliseconds between `restore_visible` sweeps. */
  restoreIntervalMs: number;
  /** Milliseconds between refreshes of the held messages' delivery times. */
  touchIntervalMs: number;
  /** Seconds a BRPOP blocks; bounds how long {@link CeleryConsumer.ended} waits after {@link CeleryConsumer.stop}. */
  brpopTimeout: number;
}

/** Longest single timer Node allows (about 24.8 days); longer eta waits take several. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class CeleryConsumer {
  private readonly slots: Semaphore;
  /** Tags popped and not yet finished (running, prefetched or waiting for their eta). */
  private readonly outstanding = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  /** Wakes every eta wait at once when the consumer stops. */
  private readonly wakers = new Set<() => void>();
  private readonly timers: NodeJS.Timeout[] = [];
  private cycle: string[];
  /** Messages held until their eta (Celery's `scheduled`), by tag. */
  private readonly held = new Map<string, { msg: ITaskMessage; eta: number }>();
  private stopping = false;
  /** Set while paused: the loop pops nothing until {@link resume}. */
  private pausedGate: { promise: Promise<void>; open: () => void } | null = null;
  private loopDone: Promise<void> = Promise.resolve();

  /**
   * @param blocking a connection used for BRPOP only.
   * @param handler receives every readable message.
   */
  constructor(private readonly blocking: Redis, private readonly handler: IDeliveryHandler, private readonly options: ICeleryConsumerOptions) {
    this.slots = new Semaphore(options.capacity);
    this.cycle = [...options.queues];
  }

  /** Start the sweeps and the consume loop. */
  start(): void {
    void this.touch();
    this.timers.push(setInterval(() => void this.touch(), this.options.touchIntervalMs));
    this.timers.push(setInterval(() => void this.sweep(), this.options.restoreIntervalMs));
    void this.sweep();
    this.loopDone = this.loop();
  }

  /** Queues consumed now, in the order the next pop tries them. */
  get queues(): string[] {
    return [...this.cycle];
  }

  /** Consume one more queue from the next pop on (Celery's `add_consumer`). False when already consumed. */
  addQueue(queue: string): boolean {
    if (this.cycle.includes(queue)) return false;
    this.cycle.push(queue);
    return true;
  }

  /**
   * Stop popping from a queue (Celery's `cancel_consumer`). Messages of it already held (running,
   * prefetched or waiting for their eta) are still run: nothing is lost. False when not consumed.
   */
  removeQueue(queue: string): boolean {
    const i = this.cycle.indexOf(queue);
    if (i < 0) return false;
    this.cycle.splice(i, 1);
    return true;
  }

  /** Messages held at once (running plus prefetched); applies from the next pop. */
  setCapacity(capacity: number): void {
    this.slots.resize(capacity);
  }

  /** Messages waiting for their eta: `[{eta, priority, msg}]`, soonest first. */
  scheduled(): { eta: number; priority: number; msg: ITaskMessage }[] {
    return [...this.held.values()]
      .sort((a, b) => a.eta - b.eta)
      .map((h) => ({ eta: h.eta, priority: h.msg.envelope.properties.priority ?? 0, msg: h.msg }));
  }

  /** Stop popping and sweeping; messages waiting for their eta go back to their queue. */
  stop(): void {
    this.stopping = true;
    this.resume();
    for (const t of this.timers) clearInterval(t);
    for (const wake of this.wakers) wake();
  }

  /**
   * Stop popping until {@link resume} (e.g. a part the handlers need is down). A message popped
   * meanwhile, or held until its eta, goes back to its queue. Messages already handed to the
   * handler are the handler's to give back. Idempotent.
   */
  pause(): void {
    if (this.pausedGate) return;
    let open = (): void => undefined;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.pausedGate = { promise, open };
  }

  /** Pop again after {@link pause}. Idempotent. */
  resume(): void {
    const gate = this.pausedGate;
    this.pausedGate = null;
    gate?.open();
  }

  /** True while paused. */
  get paused(): boolean {
    return this.pausedGate !== null;
  }

  /** Resolves when every message handed out so far is finished. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  /** Resolves when the consume loop has returned (after {@link stop}). */
  ended(): Promise<void> {
    return this.loopDone;
  }

  private async touch(): Promise<void> {
    await this.options.unacked.markAlive().catch((err: unknown) => this.options.logger.warn({ err }, 'could not refresh the alive key'));
    await this.options.unacked.touch([...this.outstanding]).catch((err: unknown) => this.options.logger.warn({ err }, 'could not refresh unacked messages'));
  }

  private async sweep(): Promise<void> {
    try {
      const n = await this.options.unacked.restoreVisible();
      if (n > 0) this.options.logger.info({ restored: n }, 'restored unacked messages past the visibility timeout');
    } catch (err) {
      this.options.logger.warn({ err }, 'restore_visible failed');
    }
    try {
      const n = await this.options.unacked.restoreLost();
      if (n > 0) this.options.logger.warn({ restored: n }, 'gave back the unacked messages of workers whose heartbeat stopped');
    } catch (err) {
      this.options.logger.warn({ err }, 'restoring the messages of lost workers failed');
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      if (this.pausedGate) {
        await this.pausedGate.promise;
        continue;
      }
      await this.slots.acquire();
      if (this.stopping) {
        this.slots.release();
        break;
      }
      let popped: IPopped | null = null;
      try {
        popped = await this.popOne();
      } catch (err) {
        this.slots.release();
        this.options.logger.warn({ err }, 'consume failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (!popped) {
        this.slots.release();
        continue;
      }
      if ((this.stopping || this.pausedGate) && popped.tag) {
        // Popped while stopping or pausing: give it back rather than start work nobody waits for.
        await this.restore(popped.tag);
        this.slots.release();
        continue;
      }
      // kombu's round-robin cycle: the queue just served goes last.
      const i = this.cycle.indexOf(popped.queue);
      if (i >= 0 && this.cycle.length > 1) this.cycle.push(...this.cycle.splice(i, 1));
      const p = this.deliver(popped);
      this.inflight.add(p);
      void p.finally(() => this.inflight.delete(p));
    }
  }

  /** Atomic pop+register when something is waiting; otherwise block on BRPOP like kombu. */
  private async popOne(): Promise<IPopped | null> {
    const { keys, unacked } = this.options;
    if (this.cycle.length === 0) {
      // Every queue cancelled: idle until one is added (or the consumer stops).
      await new Promise((r) => setTimeout(r, this.options.brpopTimeout * 1000));
      return null;
    }
    const listKeys = keys.brpopKeys(this.cycle);
    const fast = await unacked.pop(listKeys);
    if (fast) return fast;
    const res = await this.blocking.brpop(...listKeys, this.options.brpopTimeout);
    if (!res) return null;
    const [key, raw] = res;
    const queue = keys.queueFromKey(key);
    let envelope: IEnvelope;
    try {
      envelope = decodeEnvelope(raw);
    } catch {
      return { queue, raw, tag: null };
    }
    const tag = envelope.properties.delivery_tag;
    if (typeof tag !== 'string') return { queue, raw, tag: null };
    const di = envelope.properties.delivery_info;
    await unacked.append(tag, raw, String(di.exchange ?? ''), String(di.routing_key ?? queue), key);
    return { queue, raw, tag };
  }

  /** Holds a slot on entry; releases it exactly once. */
  private async deliver(popped: IPopped): Promise<void> {
    const { logger, unacked } = this.options;
    let held = true;
    const release = (): void => {
      if (held) {
        held = false;
        this.slots.release();
      }
    };
    const tag = popped.tag;
    if (tag) this.outstanding.add(tag);
    try {
      if (!tag) {
        let reason = 'message has no delivery tag';
        try {
          decodeEnvelope(popped.raw);
        } catch (err) {
          reason = (err as Error).message;
        }
        logger.warn({ queue: popped.queue, reason }, 'dropping unreadable message');
        return;
      }
      let msg: ITaskMessage;
      try {
        msg = decodeTaskMessage(popped.raw);
      } catch (err) {
        logger.warn({ queue: popped.queue, reason: (err as Error).message }, 'dropping malformed message');
        await unacked.ack(tag);
        return;
      }
      const delivery: IDelivery = { msg, tag };
      if (!(await this.handler.received(delivery))) return;
      const eta = msg.headers.eta ? Date.parse(msg.headers.eta) : NaN;
      if (Number.isFinite(eta) && eta > Date.now()) {
        // Like Celery, a message waiting for its eta does not take a slot.
        release();
        this.held.set(tag, { msg, eta });
        try {
          await this.waitUntil(eta);
        } finally {
          this.held.delete(tag);
        }
        if (!this.stopping) {
          await this.slots.acquire();
          held = true;
        }
        if (this.stopping || this.pausedGate) {
          await this.restore(tag);
          return;
        }
      }
      await this.handler.run(delivery);
    } catch (err) {
      logger.error({ err }, 'unexpected error handling a message; it stays unacked and will be restored');
    } finally {
      release();
      if (tag) this.outstanding.delete(tag);
    }
  }

  /** Resolves at `when` (ms), or as soon as the consumer stops. */
  private async waitUntil(when: number): Promise<void> {
    while (!this.stopping && Date.now() < when) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(when - Date.now(), MAX_TIMER_MS));
        this.wakers.add(wake);
      });
    }
  }

  private async restore(tag: string): Promise<void> {
    await this.options.unacked.restore(tag).catch((err: unknown) => this.options.logger.warn({ err, tag }, 'could not restore message'));
  }
}
