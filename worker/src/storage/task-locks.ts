/**
 * Mutual exclusion of the writers of one task document, by unique `_id` inserts.
 *
 * Why: FerretDB v1 evaluates the filter of `findOneAndUpdate`/`updateOne` in one statement and
 * writes the whole document back by `_id` in another (handler/msg_findandmodify.go,
 * common.UpdateDocument, backends/{sqlite,postgresql}/collection.go `UpdateAll`), on SQLite and on
 * PostgreSQL alike: concurrent conditional updates of one document all match (measured by
 * bench/storage/ops.ts: 8 of 8), and a write can undo another that landed between its read and its
 * write. Its SQLite backend also pushes a filter down to SQL only when it is exactly `{_id}`, so a
 * condition in the filter reads every task document. An insert of an existing `_id` fails
 * atomically on MongoDB and on FerretDB alike, so the writer that inserts `<task>` is the only one
 * reading, deciding and writing that task until it removes the lock; its read and write filter by
 * `_id` alone and stay O(1). A lock older than `ttlMs` (its writer died) is taken over; a lock this
 * process failed to remove (MongoDB went away) is taken back at once.
 */
import { MongoBulkWriteError, type Db } from 'mongodb';
import { isDuplicateKey } from './blob-store';
import { Collections } from './collections';
import type { MongoConnection } from './mongo-connection';

interface ILockDoc {
  _id: string;
  at: Date;
}

/** Locks per bulk delete (one statement each). */
export const BULK_LOCK_BATCH = 500;

/** Locks per unordered insert: one statement however many documents (materialize inserts 5,000). */
const LOCK_INSERT_BATCH = 500;

/** How long a writer waits for a task's lock before giving up, beyond `ttlMs`. */
const EXTRA_WAIT_MS = 5000;

/** A short, growing, jittered wait before the next try for a held lock. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(100, 2 * (attempt + 1)) * (0.5 + Math.random())));
}

export class TaskLocks {
  /** Locks this process holds, by task: the time each was taken (its `at`). */
  private readonly held = new Map<string, Date>();
  /** Locks this process took and could not remove (MongoDB unreachable), with their `at`. */
  private readonly orphaned = new Map<string, Date>();

  constructor(
    private readonly conn: MongoConnection,
    /** Age after which a lock counts as abandoned by a dead writer. @defaultValue 30000 */
    private readonly ttlMs = 30000
  ) {}

  private locks(db: Db) {
    return db.collection<ILockDoc>(Collections.taskLocks);
  }

  /**
   * Run `fn` holding `task`'s lock; waits while another writer holds it.
   * @throws Error when the lock stays held longer than its time to live
   */
  async with<T>(task: string, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.ttlMs + EXTRA_WAIT_MS;
    for (let i = 0; !(await this.take(task)); i++) {
      if (Date.now() > deadline) throw new Error(`task ${task} stayed locked by another writer for ${Math.round((this.ttlMs + EXTRA_WAIT_MS) / 1000)} s`);
      await pause(i);
    }
    try {
      return await fn();
    } finally {
      await this.release(task);
    }
  }

  /** Take `task`'s lock; false when another writer holds it. */
  async take(task: string): Promise<boolean> {
    const mine = this.orphaned.get(task);
    if (mine) {
      // Only our own lock: after its time to live another writer may have taken it over.
      await this.conn.run((db) => this.locks(db).deleteOne({ _id: task, at: mine }));
      this.orphaned.delete(task);
    }
    if (await this.insert(task)) return true;
    const stale = await this.conn.run((db) => this.locks(db).deleteOne({ _id: task, at: { $lt: new Date(Date.now() - this.ttlMs) } }));
    return stale.deletedCount > 0 && this.insert(task);
  }

  /** Give the lock up; when that fails it is remembered and taken back by this process's next writer. */
  async release(task: string): Promise<void> {
    const at = this.held.get(task);
    this.held.delete(task);
    try {
      await this.conn.run((db) => this.locks(db).deleteOne({ _id: task }));
    } catch {
      if (at) this.orphaned.set(task, at);
    }
  }

  /**
   * Take the locks of many tasks at once (unordered inserts of 500): the
   * tasks whose lock this process now holds. A task whose lock another writer holds is left out
   * (the caller takes it with {@link TaskLocks.with}, which waits, and takes over stale locks).
   */
  async takeMany(tasks: string[]): Promise<string[]> {
    const taken: string[] = [];
    for (let i = 0; i < tasks.length; i += LOCK_INSERT_BATCH) {
      const chunk = tasks.slice(i, i + LOCK_INSERT_BATCH).filter((t) => !this.orphaned.has(t) && !this.held.has(t));
      if (chunk.length === 0) continue;
      const at = new Date();
      const failed = new Set<number>();
      try {
        await this.conn.run((db) => this.locks(db).insertMany(chunk.map((_id) => ({ _id, at })), { ordered: false }));
      } catch (err) {
        const errors = err instanceof MongoBulkWriteError ? (Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors]) : [];
        if (errors.length === 0 || !errors.every((e) => e.code === 11000)) {
          // Unknown outcome: give back what may have been inserted, then fail.
          await this.releaseMany(chunk).catch(() => undefined);
          throw err;
        }
        for (const e of errors) failed.add(e.index);
      }
      chunk.forEach((t, j) => {
        if (failed.has(j)) return;
        this.held.set(t, at);
        taken.push(t);
      });
    }
    return taken;
  }

  /**
   * Give many locks up: one delete per {@link BULK_LOCK_BATCH} by an `$in` of their ids. FerretDB
   * evaluates it on every lock document, but the lock collection holds only the locks taken right
   * now (a bulk chunk and the workers' few), while a delete by `_id` per lock costs a statement
   * each. Failures as {@link TaskLocks.release}.
   */
  async releaseMany(tasks: string[]): Promise<void> {
    for (let i = 0; i < tasks.length; i += BULK_LOCK_BATCH) {
      const chunk = tasks.slice(i, i + BULK_LOCK_BATCH);
      const ats = chunk.map((t) => this.held.get(t));
      chunk.forEach((t) => this.held.delete(t));
      try {
        await this.conn.run((db) => this.locks(db).deleteMany({ _id: { $in: chunk } }));
      } catch {
        chunk.forEach((t, j) => {
          const at = ats[j];
          if (at) this.orphaned.set(t, at);
        });
      }
    }
  }

  private async insert(_id: string): Promise<boolean> {
    const at = new Date();
    try {
      await this.conn.run((db) => this.locks(db).insertOne({ _id, at }));
      this.held.set(_id, at);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }
}
