/**
 * The API service's reads of live progress: the latest snapshot of every running task (for clients
 * that connect late and for status rows) and a running task's partial notebook.
 */
import type Redis from 'ioredis';
import type { IProgressEvent } from '../schemas/progress';
import { ProgressKeys } from './keys';

export class ProgressStore {
  constructor(
    private readonly redis: Redis,
    readonly keys: ProgressKeys = new ProgressKeys(),
    /** Seconds after which a task that stopped reporting no longer counts as running. @defaultValue 120 (the publisher's snapshot TTL) */
    private readonly ttlSec: number = 120
  ) {}

  /** The latest progress of every running task, of one job or of all. */
  async running(job?: string): Promise<IProgressEvent[]> {
    const since = Date.now() - this.ttlSec * 1000;
    // Members of workers that died without cleaning up fall out here.
    await this.redis.zremrangebyscore(this.keys.runningIndex, '-inf', since);
    let names = await this.redis.zrangebyscore(this.keys.runningIndex, since, '+inf');
    if (job !== undefined) {
      const prefix = `tasks/${job}/`;
      names = names.filter((n) => n.startsWith(prefix));
    }
    if (names.length === 0) return [];
    const values = await this.redis.mget(...names.map((n) => this.keys.snapshot(n)));
    const events: IProgressEvent[] = [];
    for (const value of values) {
      if (value === null) continue;
      try {
        const event = JSON.parse(value) as IProgressEvent;
        if (job === undefined || event.job === job) events.push(event);
      } catch {
        // a damaged snapshot is skipped; the next update replaces it
      }
    }
    return events;
  }

  /** The partial notebook's JSON text; null when the task is not running (or has not reported yet). */
  partial(taskName: string): Promise<string | null> {
    return this.redis.get(this.keys.partial(taskName));
  }
}
