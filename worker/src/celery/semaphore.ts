/** Counting semaphore: at most `size` holders; waiters are served in order. */
export class Semaphore {
  private used = 0;
  private readonly waiters: (() => void)[] = [];
  private limit: number;

  constructor(size: number) {
    checkSize(size);
    this.limit = size;
  }

  /** Holders allowed at once. */
  get size(): number {
    return this.limit;
  }

  /**
   * Change the bound at run time (Celery's `pool_grow` / `pool_shrink`): growing lets waiters in
   * at once; shrinking takes effect as holders release (none is taken away).
   */
  resize(size: number): void {
    checkSize(size);
    this.limit = size;
    while (this.used < this.limit && this.waiters.length > 0) {
      this.used++;
      this.waiters.shift()!();
    }
  }

  get inUse(): number {
    return this.used;
  }

  async acquire(): Promise<void> {
    if (this.used < this.limit) {
      this.used++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /**
   * Like {@link acquire}, but gives up when `cancel` fires first: resolves true with a slot held,
   * false without one.
   */
  async acquireUnless(cancel: AbortSignal): Promise<boolean> {
    if (cancel.aborted) return false;
    if (this.used < this.limit) {
      this.used++;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const waiter = (): void => {
        cancel.removeEventListener('abort', onCancel);
        resolve(true);
      };
      const onCancel = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      };
      cancel.addEventListener('abort', onCancel, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(): void {
    // Over the bound after a shrink: this slot is not handed on.
    const next = this.used <= this.limit ? this.waiters.shift() : undefined;
    if (next) next();
    else this.used--;
  }
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`semaphore size must be a positive integer, got ${size}`);
}
