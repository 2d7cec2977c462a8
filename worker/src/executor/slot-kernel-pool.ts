/**
 * Kernels bound to slots (one GPU, or one group of GPUs, each): every slot has its own warm
 * {@link KernelPool} whose kernels start with the slot's environment (`CUDA_VISIBLE_DEVICES`...),
 * and a task's lease holds its slot until the lease is released, which `executeNotebook` does
 * whether the task ends, its kernel dies or it is cancelled. So tasks running at once never share
 * a slot. A task finding every slot taken (concurrency above the slot count) waits for one.
 */
import type { IKernelLease, IKernelSource } from './kernel-lease';
import { KernelPool, type IKernelPoolOptions } from './kernel-pool';

/** One slot: a name and the environment its kernels get. */
export interface IKernelSlot {
  /** e.g. `gpu0` or `gpu0-1`. */
  id: string;
  env: Record<string, string>;
  /** Python its kernels run once after they started (see `IKernelPoolOptions.startupCode`). */
  startupCode?: string;
  /** GPUs its kernels see (indices or UUIDs): handed on with each lease, for the run's record. */
  gpus?: string[];
}

export interface ISlotKernelPoolOptions extends Omit<IKernelPoolOptions, 'env' | 'size'> {
  slots: IKernelSlot[];
  /** Ready kernels kept per slot. @defaultValue 1 */
  sizePerSlot?: number;
}

interface IWaiter {
  resolve: (slot: IKernelSlot) => void;
  reject: (reason: unknown) => void;
}

export class SlotKernelPool implements IKernelSource {
  private readonly bySlot = new Map<string, KernelPool>();
  private readonly free: IKernelSlot[];
  private readonly leased = new Map<string, IKernelLease>();
  private waiters: IWaiter[] = [];
  private closed = false;

  constructor(private readonly options: ISlotKernelPoolOptions) {
    if (options.slots.length === 0) throw new RangeError('a slot kernel pool needs at least one slot');
    this.free = [...options.slots];
    for (const slot of options.slots) {
      this.bySlot.set(slot.id, new KernelPool({ ...options, size: Math.max(1, options.sizePerSlot ?? 1), env: slot.env, startupCode: slot.startupCode }));
    }
  }

  /** Starts every slot's pool. Idempotent. */
  start(): this {
    for (const pool of this.bySlot.values()) pool.start();
    return this;
  }

  /** Slots, in order. */
  get slots(): IKernelSlot[] {
    return [...this.options.slots];
  }

  /** Ids of the slots held by a task now. */
  busySlots(): string[] {
    return [...this.leased.keys()];
  }

  /** Whether `kernelName` is served (the slots' pools all serve the same names). */
  pools(kernelName: string): boolean {
    const first = this.bySlot.values().next().value;
    return !this.closed && (first?.pools(kernelName) ?? false);
  }

  /** A kernel of a free slot; the slot stays the task's until the lease is released. */
  async acquire(kernelName: string, signal?: AbortSignal): Promise<IKernelLease | null> {
    if (!this.pools(kernelName)) return null;
    const slot = await this.takeSlot(signal);
    let lease: IKernelLease | null;
    try {
      lease = await this.bySlot.get(slot.id)!.acquire(kernelName, signal);
    } catch (err) {
      this.giveSlot(slot);
      throw err;
    }
    if (!lease) {
      this.giveSlot(slot);
      return null;
    }
    const inner = lease;
    let released = false;
    this.leased.set(slot.id, inner);
    this.options.log?.(`kernel ${inner.session.model.id} runs on slot ${slot.id} (${Object.entries(slot.env).map(([k, v]) => `${k}=${v}`).join(' ')})`);
    return {
      session: inner.session,
      info: inner.info,
      readyAt: inner.readyAt,
      uses: inner.uses,
      ...(slot.gpus ? { gpus: [...slot.gpus] } : {}),
      release: (opts) => {
        if (released) return;
        released = true;
        this.leased.delete(slot.id);
        inner.release(opts);
        this.giveSlot(slot);
      }
    };
  }

  /** Closes every slot's pool; waiting acquires reject. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new Error('the kernel pool is closed'));
    await Promise.all([...this.bySlot.values()].map((p) => p.close()));
  }

  private takeSlot(signal?: AbortSignal): Promise<IKernelSlot> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const slot = this.free.shift();
    if (slot) return Promise.resolve(slot);
    return new Promise<IKernelSlot>((resolve, reject) => {
      const waiter: IWaiter = { resolve, reject };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(signal.reason);
      }, { once: true });
    });
  }

  private giveSlot(slot: IKernelSlot): void {
    const next = this.waiters.shift();
    if (next) next.resolve(slot);
    else this.free.push(slot);
  }
}
