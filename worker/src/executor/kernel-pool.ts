/**
 * A warm pool of kernels on one Kernel Gateway, per kernel name: kernels are started (and have
 * answered `kernel_info`) before a task asks for one, so kernel start-up is off the task's
 * critical path. In the default mode every kernel serves exactly one task and is then shut down,
 * which isolates tasks exactly as papermill does (one fresh process each). A lease handed out is
 * never in the pool at the same time; a kernel that dies while idle is dropped and replaced.
 *
 * Opt-in `reuse`: a kernel whose task succeeded is reset (`InteractiveShell.reset(new_session=True)`,
 * working directory restored) and handed to the next task of a notebook that declared it safe.
 * That keeps imported modules and their state, so it gives up process isolation (see README).
 */
import { GatewayClient } from './gateway-client';
import type { IKernelLease, IKernelSource } from './kernel-lease';
import { rememberWorkingDirectory, resetKernel } from './kernel-reset';
import type { IPerName, IReady, IWaiter } from './kernel-pool-state';
import { KernelSession } from './kernel-session';
import { runStartupCode } from './kernel-startup';

export type { IKernelLease };

/**
 * Milliseconds between checks that idle kernels still exist on the gateway (one GET for all).
 * @defaultValue 2000
 */
export const IDLE_CHECK_MS = 2000;

/** Milliseconds to wait before starting a kernel again after a start failed. @defaultValue 1000 */
export const START_RETRY_MS = 1000;

export interface IKernelPoolOptions {
  gatewayUrl: string;
  token: string;
  /**
   * Ready kernels kept per pooled kernel name (one per concurrency slot plus a small prefetch).
   * 0 turns the pool off: `acquire` then always answers null.
   */
  size: number;
  /** @defaultValue `['python3']` */
  kernelNames?: string[];
  /** Seconds a kernel may take to start. @defaultValue 60 */
  startTimeout?: number;
  /** @defaultValue {@link IDLE_CHECK_MS} */
  idleCheckMs?: number;
  /**
   * Environment of every kernel this pool starts (e.g. the `CUDA_VISIBLE_DEVICES` of the GPU slot
   * it is bound to); the gateway must whitelist the names. @defaultValue none
   */
  env?: Record<string, string>;
  log?: (line: string) => void;
  /** Python every kernel runs once after it started, before its first task. @defaultValue none */
  startupCode?: string;
  /**
   * Whether a kernel may be reset and handed to a later task (`release({ reuse: true })`). Only
   * then does a new kernel remember its working directory for the reset: one execute request
   * (five kernel messages through the gateway) per task spared when no kernel is ever reused. A
   * reuse asked of a kernel started with `false` fails its reset, and the kernel is shut down.
   * @defaultValue true
   */
  reusable?: boolean;
}

export class KernelPool implements IKernelSource {
  private poolSize: number;
  private readonly client: GatewayClient;
  private readonly names: Map<string, IPerName>;
  private readonly background = new Set<Promise<unknown>>();
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private started = 0;

  constructor(private readonly options: IKernelPoolOptions) {
    this.poolSize = Math.max(0, Math.floor(options.size));
    this.client = new GatewayClient(options.gatewayUrl, options.token);
    this.names = new Map((options.kernelNames ?? ['python3']).map(name => [name, { idle: [], starting: 0, waiters: [], resetting: 0 }]));
    this.log = options.log ?? (() => undefined);
  }

  /** Starts filling the pool. Idempotent. */
  start(): this {
    if (this.size === 0 || this.timer || this.closed) return this;
    for (const name of this.names.keys()) this.fill(name);
    this.timer = setInterval(() => void this.checkIdle(), this.options.idleCheckMs ?? IDLE_CHECK_MS);
    this.timer.unref();
    return this;
  }

  /** Ready kernels kept per pooled kernel name. */
  get size(): number {
    return this.poolSize;
  }

  /**
   * Keep `size` ready kernels from now on (the worker's concurrency changed): growing starts the
   * missing ones, shrinking shuts surplus idle kernels down. Leased kernels are not touched. A pool
   * made with size 0 stays off.
   */
  resize(size: number): void {
    const next = Math.max(0, Math.floor(size));
    if (this.poolSize === 0 || next === 0 || next === this.poolSize || this.closed) return;
    this.poolSize = next;
    for (const [name, slot] of this.names) {
      while (slot.idle.length > next) this.discard(slot.idle.pop()!);
      this.fill(name);
    }
  }

  /** Whether `kernelName` is served from the pool. */
  pools(kernelName: string): boolean {
    return this.size > 0 && !this.closed && this.names.has(kernelName);
  }

  /** Ready idle kernels of `kernelName`. */
  idleCount(kernelName = 'python3'): number {
    return this.names.get(kernelName)?.idle.length ?? 0;
  }

  /** Ids of the idle kernels of `kernelName` (for tests and diagnostics). */
  idleIds(kernelName = 'python3'): string[] {
    return this.names.get(kernelName)?.idle.map(k => k.session.model.id) ?? [];
  }

  /** Kernels this pool has started so far. */
  get kernelsStarted(): number {
    return this.started;
  }

  /**
   * A ready kernel for one task, or null when `kernelName` is not pooled (start one yourself).
   * Waits for a kernel that is starting when none is idle; a start failure rejects. Abandoning the
   * returned promise is safe only through `signal`: a kernel then goes back to the pool.
   */
  async acquire(kernelName: string, signal?: AbortSignal): Promise<IKernelLease | null> {
    const slot = this.pools(kernelName) ? this.names.get(kernelName)! : null;
    if (!slot) return null;
    let ready: IReady | undefined;
    while ((ready = slot.idle.shift()) && ready.session.isLost) {
      this.discard(ready);
    }
    if (!ready) {
      ready = await new Promise<IReady>((resolve, reject) => {
        const waiter: IWaiter = { resolve, reject, cancelled: false, startsBefore: this.started };
        slot.waiters.push(waiter);
        signal?.addEventListener(
          'abort',
          () => {
            waiter.cancelled = true;
            reject(signal.reason);
          },
          { once: true }
        );
        this.fill(kernelName);
      });
    }
    // Replace the kernel just taken while the task runs.
    this.fill(kernelName);
    return this.lease(kernelName, ready);
  }

  /** Shuts every idle kernel down and waits for background shutdowns and starts. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const slot of this.names.values()) {
      for (const waiter of slot.waiters.splice(0)) waiter.reject(new Error('the kernel pool is closed'));
      for (const ready of slot.idle.splice(0)) this.discard(ready);
    }
    while (this.background.size > 0) {
      await Promise.allSettled([...this.background]);
    }
  }

  private lease(kernelName: string, ready: IReady): IKernelLease {
    let released = false;
    return {
      session: ready.session,
      info: ready.info,
      readyAt: ready.readyAt,
      uses: ready.uses,
      release: options => {
        if (released) return;
        released = true;
        if (options?.reuse && !this.closed && !ready.session.isLost) {
          this.track(this.resetAndReturn(kernelName, ready));
        } else {
          this.discard(ready);
        }
      }
    };
  }

  private async resetAndReturn(kernelName: string, ready: IReady): Promise<void> {
    const slot = this.names.get(kernelName)!;
    slot.resetting += 1;
    try {
      await resetKernel(ready.session);
      ready.uses += 1;
    } catch {
      slot.resetting -= 1;
      this.discard(ready);
      this.fill(kernelName);
      return;
    }
    slot.resetting -= 1;
    this.offer(kernelName, ready);
  }

  /** Starts kernels until idle + starting + resetting reaches the pool's size or covers the waiters. */
  private fill(kernelName: string): void {
    const slot = this.names.get(kernelName);
    if (!slot || this.closed || this.size === 0) return;
    const waiting = slot.waiters.filter(w => !w.cancelled).length;
    const want = Math.max(this.size, waiting + slot.idle.length) - slot.idle.length - slot.starting - slot.resetting;
    for (let i = 0; i < want; i++) this.startOne(kernelName);
  }

  private startOne(kernelName: string): void {
    const slot = this.names.get(kernelName)!;
    slot.starting += 1;
    this.started += 1;
    const startNumber = this.started;
    const work = (async () => {
      try {
        const { session, info } = await KernelSession.start(this.client, kernelName, {
          startTimeout: this.options.startTimeout ?? 60,
          env: this.options.env
        });
        if (this.options.reusable ?? true) await rememberWorkingDirectory(session);
        if (this.options.startupCode) {
          try {
            await runStartupCode(session, this.options.startupCode);
          } catch (err) {
            await session.shutdown();
            throw err;
          }
        }
        slot.starting -= 1;
        const ready: IReady = { session, info, readyAt: Date.now(), uses: 0 };
        void session.whenLost().then(() => this.dropIdle(kernelName, ready));
        this.offer(kernelName, ready);
      } catch (error) {
        slot.starting -= 1;
        // Only a waiter that was already waiting when this start began is told of its failure: a
        // start begun on a gateway that has since gone away says nothing about the gateway now.
        const waiter = this.nextWaiter(slot, startNumber);
        if (waiter) {
          waiter.reject(error);
        } else {
          this.log(`kernel pool: could not start '${kernelName}': ${error instanceof Error ? error.message : String(error)}`);
        }
        if (!this.closed) {
          const retry = setTimeout(() => this.fill(kernelName), START_RETRY_MS);
          retry.unref();
        }
      }
    })();
    this.track(work);
  }

  /** Hands a ready kernel to the first waiter still waiting, else keeps it idle. */
  private offer(kernelName: string, ready: IReady): void {
    const slot = this.names.get(kernelName)!;
    if (this.closed || ready.session.isLost) {
      this.discard(ready);
      if (!this.closed) this.fill(kernelName);
      return;
    }
    const waiter = this.nextWaiter(slot);
    if (waiter) {
      waiter.resolve(ready);
      return;
    }
    // A start (or reset) begun before the pool shrank, or for a waiter that gave up: the pool keeps
    // `size` ready kernels, not more.
    if (slot.idle.length >= this.size) {
      this.discard(ready);
      return;
    }
    slot.idle.push(ready);
  }

  /**
   * Takes the first waiter still waiting (abandoned acquires are dropped); with `startNumber`, the
   * first one that came before that kernel start began, else none.
   */
  private nextWaiter(slot: IPerName, startNumber = Infinity): IWaiter | undefined {
    slot.waiters = slot.waiters.filter(w => !w.cancelled);
    const i = slot.waiters.findIndex(w => w.startsBefore < startNumber);
    return i < 0 ? undefined : slot.waiters.splice(i, 1)[0];
  }

  private dropIdle(kernelName: string, ready: IReady): void {
    const slot = this.names.get(kernelName)!;
    const i = slot.idle.indexOf(ready);
    if (i < 0) return;
    slot.idle.splice(i, 1);
    this.log(`kernel pool: idle kernel ${ready.session.model.id} was lost; starting a replacement`);
    this.discard(ready);
    this.fill(kernelName);
  }

  /** One GET for every idle kernel: drop those the gateway no longer has or reports dead. */
  private async checkIdle(): Promise<void> {
    if (this.closed) return;
    let models;
    try {
      models = await this.client.listKernels(AbortSignal.timeout(5000));
    } catch {
      return; // a gateway outage shows up when a task uses the kernel
    }
    const alive = new Set(models.filter(m => m.execution_state !== 'dead').map(m => m.id));
    for (const [name, slot] of this.names) {
      for (const ready of [...slot.idle]) {
        if (!alive.has(ready.session.model.id)) this.dropIdle(name, ready);
      }
    }
  }

  private discard(ready: IReady): void {
    this.track(ready.session.shutdown());
  }

  private track(work: Promise<unknown>): void {
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }
}
