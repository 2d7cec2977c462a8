/** Counting semaphore: at most `size` holders; waiters are served in order. */
export class Semaphore {
  private used = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`semaphore size must be a positive integer, got ${size}`);
  }

  get inUse(): number {
    return this.used;
  }

  async acquire(): Promise<void> {
    if (this.used < this.size) {
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
    if (this.used < this.size) {
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
    const next = this.waiters.shift();
    if (next) next();
    else this.used--;
  }
}
