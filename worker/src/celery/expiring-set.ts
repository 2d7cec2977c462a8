/**
 * A set whose members expire `ttlMs` after they were added, holding at most `maxSize` (the oldest
 * go first): Celery's `LimitedSet` for the ids a worker was told to revoke, so a long-running
 * worker does not keep every revoke it ever heard.
 */
export class ExpiringSet {
  /** Member → expiry time (ms). Map order is insertion order; with one TTL that is expiry order. */
  private readonly until = new Map<string, number>();

  /**
   * @param ttlMs how long a member lives.
   * @param maxSize most members held. @defaultValue `50000` (Celery's `REVOKES_MAX`)
   */
  constructor(readonly ttlMs: number, readonly maxSize = 50000) {}

  get size(): number {
    return this.until.size;
  }

  add(member: string, now = Date.now()): void {
    this.until.delete(member); // re-adding moves it to the end with a new expiry
    this.until.set(member, now + this.ttlMs);
    this.purge(now);
  }

  has(member: string, now = Date.now()): boolean {
    const until = this.until.get(member);
    return until !== undefined && until > now;
  }

  /** Members not expired, oldest first. */
  values(now = Date.now()): string[] {
    this.purge(now);
    return [...this.until.keys()];
  }

  private purge(now: number): void {
    for (const [member, until] of this.until) {
      if (until > now && this.until.size <= this.maxSize) break;
      this.until.delete(member);
    }
  }
}
