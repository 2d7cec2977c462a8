/**
 * The attempts of tasks that are queued or running, one small document each, so the reconciler
 * reads O(active tasks) instead of every stored task (FerretDB v1 on SQLite answers any filter but
 * `{_id}` by reading every document of the collection: 18 CPU s a pass with 100,000 tasks stored).
 *
 * An entry is keyed by the attempt's Celery task id (`{_id: task_id, task, task_group, at}`), not
 * by the task: an attempt that ended never becomes active again (a restart gives a new task id),
 * so an entry whose task has another id, is final or is gone is stale for good and can be deleted
 * by anyone, without the task's lock, at any time, any number of times.
 *
 * The invariant the reconciler relies on: a task in an active state has the entry of its current
 * task id. Every writer keeps it by ordering, not by transactions (FerretDB v1 has none): the
 * entry is inserted BEFORE the write that makes an attempt active (map materialization, restart)
 * and deleted AFTER the write that ends it (a recorded run, cancel, a repair). A process that dies
 * between the two leaves an extra entry, never a missing one; extra entries are deleted by the
 * reconciler when it finds them stale. Stores written before this collection existed are filled
 * once by `backfill` (one full read of the tasks, marked done in `migrations`).
 */
import type { Db } from 'mongodb';
import { ACTIVE_STATES } from '../domain/task-state';
import { ignoreDuplicates, isDuplicateKey } from './blob-store';
import { Collections } from './collections';
import type { ITaskDoc, ITaskSummaryDoc } from './documents';
import type { MongoConnection } from './mongo-connection';

/** One active attempt of a task. */
export interface IActiveEntry {
  /** The attempt's Celery task id. */
  _id: string;
  /** The task's name (`tasks/<nb>/<group>-<i>`, its document's `_id`). */
  task: string;
  task_group: string;
  /** When the entry was written. */
  at: Date;
}

/** What a write of a task does to its active entries (see {@link activityChange}). */
export interface IActivityChange {
  /** The entry to insert before the write. */
  add?: IActiveEntry;
  /** The task id whose entry to delete after the write. */
  remove?: string;
}

/** Entries per unordered insert (one statement however many documents). */
const INSERT_BATCH = 500;
/** Entries per delete by `_id: {$in}` (one SQL statement each on the patched FerretDB, see scripts/ferretdb/patches/). */
const DELETE_BATCH = 500;
/** The `migrations` document that says `backfill` ran on this database. */
const BACKFILLED = 'active_tasks';

const isActive = (state: string | undefined): boolean => state !== undefined && (ACTIVE_STATES as readonly string[]).includes(state);

/**
 * The entries a write changes, from the task as read under its lock and the `$set` of the update:
 * an attempt that becomes active (from a final state, or with a new task id) needs its entry
 * before the write; an attempt that stops being active (final, or replaced by a new id) loses its
 * entry after it.
 */
export function activityChange(before: Pick<ITaskSummaryDoc, '_id' | 'task_group' | 'task_id' | 'state'>, set: Record<string, unknown> | undefined): IActivityChange {
  const state = typeof set?.state === 'string' ? set.state : before.state;
  const taskId = typeof set?.task_id === 'string' ? set.task_id : before.task_id;
  const wasActive = isActive(before.state);
  const change: IActivityChange = {};
  if (isActive(state) && (!wasActive || taskId !== before.task_id)) {
    change.add = { _id: taskId, task: before._id, task_group: before.task_group, at: new Date() };
  }
  if (wasActive && (!isActive(state) || taskId !== before.task_id)) change.remove = before.task_id;
  return change;
}

/** The entry of a task document as `map()` creates it (PENDING, first attempt). */
export function entryOf(doc: Pick<ITaskDoc, '_id' | 'task_group' | 'task_id'>): IActiveEntry {
  return { _id: doc.task_id, task: doc._id, task_group: doc.task_group, at: new Date() };
}

export class ActiveTasks {
  /** Deletions running in the background (see {@link ActiveTasks.removeLater}). */
  private pending: Promise<void> = Promise.resolve();
  private backfilled = false;

  constructor(
    private readonly conn: MongoConnection,
    private readonly log: (line: string) => void = () => undefined
  ) {}

  private entries(db: Db) {
    return db.collection<IActiveEntry>(Collections.activeTasks);
  }

  /** Insert entries; ones that exist already are fine. */
  async add(entries: IActiveEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += INSERT_BATCH) {
      const chunk = entries.slice(i, i + INSERT_BATCH);
      await this.conn.run((db) => this.entries(db).insertMany(chunk, { ordered: false })).catch(ignoreDuplicates);
    }
  }

  /** Delete the entries of these task ids (by `_id: {$in}`, which the local default's patched FerretDB pushes down). */
  async remove(taskIds: string[]): Promise<void> {
    for (let i = 0; i < taskIds.length; i += DELETE_BATCH) {
      const batch = taskIds.slice(i, i + DELETE_BATCH);
      await this.conn.run((db) => this.entries(db).deleteMany({ _id: { $in: batch } }));
    }
  }

  /**
   * Delete entries after the caller answered (a cancel of 10,000 tasks need not wait for 10,000
   * deletes). Safe to lose: an entry left behind is stale and the reconciler deletes it.
   */
  removeLater(taskIds: string[]): void {
    if (taskIds.length === 0) return;
    this.pending = this.pending.then(() =>
      this.remove(taskIds).catch((err: unknown) => this.log(`active task entries not deleted (the reconciler will): ${err instanceof Error ? err.message : String(err)}`))
    );
  }

  /** Wait for the deletions started by {@link ActiveTasks.removeLater}. */
  settled(): Promise<void> {
    return this.pending;
  }

  /** Delete the entries of a group (when the group is deleted): reads the entries only. */
  async removeGroup(taskGroup: string): Promise<void> {
    await this.conn.run((db) => this.entries(db).deleteMany({ task_group: taskGroup }));
  }

  /** Up to `limit` entries with a task id after `after`, in task id order. */
  async page(limit: number, after?: string): Promise<IActiveEntry[]> {
    await this.backfill();
    return this.conn.run((db) =>
      this.entries(db)
        .find(after === undefined ? {} : { _id: { $gt: after } })
        .sort({ _id: 1 })
        .limit(limit)
        .toArray()
    );
  }

  /**
   * Once per database: an entry for every task stored active before this collection existed (one
   * read of every task, then never again). Idempotent and safe alongside writers: an entry of a
   * task that ended meanwhile is merely stale.
   */
  async backfill(): Promise<void> {
    if (this.backfilled) return;
    const done = await this.conn.run((db) => db.collection<{ _id: string }>(Collections.migrations).findOne({ _id: BACKFILLED }));
    if (!done) {
      const active = await this.conn.run((db) =>
        db
          .collection<ITaskDoc>(Collections.tasks)
          .find({ state: { $in: [...ACTIVE_STATES] } }, { projection: { _id: 1, task_group: 1, task_id: 1 } })
          .toArray()
      );
      await this.add(active.map(entryOf));
      await this.conn.run((db) => db.collection<{ _id: string; at: Date }>(Collections.migrations).insertOne({ _id: BACKFILLED, at: new Date() })).catch((err: unknown) => {
        if (!isDuplicateKey(err)) throw err;
      });
      if (active.length > 0) this.log(`active task entries written for ${active.length} queued or running tasks stored before them`);
    }
    this.backfilled = true;
  }
}
