/**
 * Celery's task rate limits (`rate_limit` control command, `Task.rate_limit`): `"10/m"` lets ten
 * tasks of that name start per minute on this worker, evenly spaced like Celery's token bucket
 * with capacity one. `"5"` is per second; `""`, `"0"` or null turn the limit off.
 */

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/**
 * Tasks per second of a rate string, 0 for "no limit".
 * @throws RangeError naming the expected form when the string is not a rate
 */
export function parseRate(rate: string | number | null | undefined): number {
  if (rate === null || rate === undefined || rate === '') return 0;
  if (typeof rate === 'number') return checkRate(rate, String(rate));
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*([smh]))?\s*$/.exec(rate);
  if (!m) throw new RangeError(`invalid rate limit ${JSON.stringify(rate)}: use N/s, N/m or N/h`);
  return checkRate(Number(m[1]) / UNITS[m[2] ?? 's'], rate);
}

function checkRate(perSecond: number, text: string): number {
  if (!Number.isFinite(perSecond) || perSecond < 0) throw new RangeError(`invalid rate limit ${JSON.stringify(text)}: use N/s, N/m or N/h`);
  return perSecond;
}

/** Spaces task starts per task name; rates can change at any time and apply to the next start. */
export class RateLimiter {
  private readonly rates = new Map<string, { text: string; perSecond: number }>();
  /** Earliest start (ms) of the next task of each limited name. */
  private readonly nextStart = new Map<string, number>();

  /** Set or clear (`perSecond` 0) the limit of a task name. */
  set(taskName: string, text: string, perSecond: number): void {
    if (perSecond > 0) this.rates.set(taskName, { text, perSecond });
    else this.rates.delete(taskName);
    this.nextStart.delete(taskName);
  }

  /** The rate string of a task name, or null. */
  get(taskName: string): string | null {
    return this.rates.get(taskName)?.text ?? null;
  }

  /**
   * Milliseconds the next task of `taskName` must wait, reserving its start: call once per task.
   * 0 when it is not limited or its turn has come.
   */
  reserve(taskName: string, now = Date.now()): number {
    const rate = this.rates.get(taskName);
    if (!rate) return 0;
    const at = Math.max(now, this.nextStart.get(taskName) ?? 0);
    this.nextStart.set(taskName, at + 1000 / rate.perSecond);
    return at - now;
  }
}
