/**
 * The last results tables this API service built, so a 10,000-task group's table is read from
 * MongoDB once, not on every request. A table is kept with the fingerprint of the group's status
 * rows it was built after (`status()` as JSON, from the Redis status index): a table changes only
 * when a row does (a task's state, run status, duration, or its current task id, whose OK result
 * and glued values never change), so the same fingerprint means the same table. The rows are read
 * before MongoDB is, and the index follows MongoDB's writes, so a cached table is never older
 * than the rows it is filed under.
 */
import { createHash } from 'node:crypto';
import type { IResultsTableRows } from './results-table';

/** Tables kept (each up to a few MB for 10,000 tasks). @defaultValue 8 */
export const RESULTS_TABLE_CACHE_SIZE = 8;

export class ResultsTableCache {
  private readonly tables = new Map<string, { fingerprint: string; table: IResultsTableRows }>();

  constructor(private readonly size = RESULTS_TABLE_CACHE_SIZE) {}

  /** The fingerprint of a group's status rows (their JSON text). */
  static fingerprint(statusJson: string): string {
    return createHash('sha256').update(statusJson).digest('hex');
  }

  /** The table of `taskGroup` if it was built after these same rows. */
  get(taskGroup: string, fingerprint: string): IResultsTableRows | undefined {
    const hit = this.tables.get(taskGroup);
    if (!hit || hit.fingerprint !== fingerprint) return undefined;
    // Most recently used last, so the oldest is evicted first.
    this.tables.delete(taskGroup);
    this.tables.set(taskGroup, hit);
    return hit.table;
  }

  set(taskGroup: string, fingerprint: string, table: IResultsTableRows): void {
    this.tables.delete(taskGroup);
    this.tables.set(taskGroup, { fingerprint, table });
    while (this.tables.size > this.size) this.tables.delete(this.tables.keys().next().value as string);
  }
}
