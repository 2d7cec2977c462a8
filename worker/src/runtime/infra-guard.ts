/**
 * Keeps a worker off the queue while a part it needs is down. It probes each part (the Kernel
 * Gateway, MongoDB) every `intervalMs`, and at once when a task reports a failure of one; while
 * any is down the worker is paused (it takes no messages and gives back the ones it holds, and its
 * heartbeat says why), and the probes repeat with backoff until every part answers again.
 */

/** A part a worker needs. */
export interface IInfraPart {
  /** Short name tasks report failures by, e.g. `gateway`. */
  name: string;
  /** What it is, in messages, e.g. `Kernel Gateway at http://127.0.0.1:8888`. */
  label: string;
  /** Resolves when the part answers; rejects with a message saying what is down. */
  probe(): Promise<void>;
}

export interface IInfraGuardOptions {
  parts: IInfraPart[];
  /** Stop taking messages, with the reason shown in heartbeats. Called again when the reason changes. */
  pause(reason: string): void;
  /** Take messages again. */
  resume(): void;
  /** Milliseconds between probes while every part is up. @defaultValue 5000 */
  intervalMs?: number;
  /** First and longest wait between probes while a part is down (doubling). @defaultValue 500 and 5000 */
  backoffMs?: { first: number; max: number };
  /** Milliseconds a probe may take before its part counts as down. @defaultValue 3000 */
  probeTimeoutMs?: number;
  log?: (line: string) => void;
}

export class InfraGuard {
  private timer: NodeJS.Timeout | undefined;
  private backoff = 0;
  private down = new Map<string, string>();
  private checking: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: IInfraGuardOptions) {}

  /** The reason the worker is paused, or null. */
  get reason(): string | null {
    return this.down.size === 0 ? null : [...this.down.values()].join('; ');
  }

  /** Start probing. */
  start(): this {
    this.schedule(this.options.intervalMs ?? 5000);
    return this;
  }

  /**
   * A task met a failure that may be `part` being down: probe now (pausing the worker when it is).
   * Resolves true when the part is down, so the failure is the infrastructure's, not the task's.
   */
  async report(part: string): Promise<boolean> {
    await this.check();
    return this.down.has(part);
  }

  /** Stop probing (the worker is closing). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), ms);
    this.timer.unref?.();
  }

  /** One round of probes (a round already under way is joined, then a fresh one runs). */
  private async check(): Promise<void> {
    while (this.checking) await this.checking;
    this.checking = this.probeAll();
    try {
      await this.checking;
    } finally {
      this.checking = null;
    }
  }

  private async probeAll(): Promise<void> {
    const timeoutMs = this.options.probeTimeoutMs ?? 3000;
    const results = await Promise.all(
      this.options.parts.map(async (part) => {
        try {
          await withTimeout(part.probe(), timeoutMs, `${part.label} unreachable (no answer within ${timeoutMs} ms)`);
          return [part.name, null] as const;
        } catch (err) {
          return [part.name, err instanceof Error ? err.message : String(err)] as const;
        }
      })
    );
    if (this.closed) return;
    const before = this.reason;
    this.down = new Map(results.filter((r): r is readonly [string, string] => r[1] !== null));
    const reason = this.reason;
    const log = this.options.log ?? (() => undefined);
    if (reason !== null) {
      if (reason !== before) {
        log(`pausing: ${reason}; tasks held but not started go back to the queue`);
        this.options.pause(reason);
      }
      const { first, max } = this.options.backoffMs ?? { first: 500, max: 5000 };
      this.backoff = this.backoff === 0 ? first : Math.min(max, this.backoff * 2);
      this.schedule(this.backoff);
    } else {
      if (before !== null) {
        log(`resuming: ${before.split(';')[0]} is back`);
        this.options.resume();
      }
      this.backoff = 0;
      this.schedule(this.options.intervalMs ?? 5000);
    }
  }
}

function withTimeout(work: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))
  ]).finally(() => clearTimeout(timer));
}
