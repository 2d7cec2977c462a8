/**
 * Mark and sweep of content-addressed blobs, safe against writers running at the same time.
 *
 * A blob is removed only when (1) no document references it and (2) it was neither created nor
 * touched within the grace period. Writers keep their side of the bargain in the same write path
 * (storage/blob-store.ts, storage/task-groups.ts): a writer about to reference a blob either puts
 * it (a new blob is fresh; an existing one is touched, and stored again if it just went) or
 * touches it, before it writes the reference. The sweep fixes its cutoff first, then reads the
 * references, then, for the unreferenced candidates, takes the blobs' locks (blobLockKey, in
 * chunks of {@link SWEEP_LOCK_CHUNK}), reads each again and deletes it (metadata, then its GridFS
 * chunks) only if it is still older than the cutoff, before giving the locks up. Every touch and
 * every put of a stored blob holds the same lock, so no touch lands between that check and the
 * delete: by construction, on FerretDB (whose conditional deletes are not atomic) as on MongoDB,
 * and a GridFS blob put again is never half deleted. So for a map accepted during a sweep, either
 * its touch came before the sweep's check (the blob is fresh: kept), or after the delete (the
 * touch finds no blob and the map is refused, nothing is lost; a put stores it again), or before
 * the cutoff, when the grace period (far longer than a touch-to-reference write) has the reference
 * written before the references are read. A blob whose lock a writer holds is left for the next
 * sweep (the writer is refreshing it); a dead writer's lock is taken over once stale.
 *
 * Every field that references a blob is listed in BLOB_REFERENCES: a new one must be added there.
 * (The cache, reduce, grid and progress features add none: a cached task and a cache entry name a
 * result notebook, whose `results` document holds the sha256; a reduce task's input, returned
 * values and scraps are inline Binary. A deleted group's result documents that cached tasks of a
 * surviving group reuse are kept by the group clean-up, so they count here as well; a dry run
 * counts them through `cachedResults`.)
 */
import { GridFSBucket, type Db } from 'mongodb';
import { blobLockKey } from '../storage/blob-store';
import { Collections } from '../storage/collections';
import type { MongoConnection } from '../storage/mongo-connection';
import { BULK_WRITE_BATCH } from '../storage/task-bulk-updates';
import { TaskLocks } from '../storage/task-locks';
import { cachedResults } from './cached-references';

/** Every document field that holds a blob's sha256. */
export const BLOB_REFERENCES: readonly { collection: string; field: string }[] = [
  { collection: Collections.notebooks, field: 'sha256' },
  { collection: Collections.taskGroups, field: 'main_sha256' },
  { collection: Collections.taskGroups, field: 'params_sha256' },
  { collection: Collections.tasks, field: 'main_sha256' },
  { collection: Collections.results, field: 'sha256' },
  { collection: Collections.taskGroups, field: 'cached_results_sha256' }
];

/** Collections whose documents carry `task_group` (left out of the references in a dry run's "what if"). */
const GROUP_COLLECTIONS: ReadonlySet<string> = new Set([Collections.tasks, Collections.results]);

interface IBlobMeta {
  _id: string;
  size: number;
  created: string;
  touched?: string;
  gridfs?: boolean;
}

/**
 * Blobs locked at a time: a writer of one of them waits at most one chunk's reads and deletes,
 * far below the locks' time to live.
 */
export const SWEEP_LOCK_CHUNK = 200;

/** Reads by `_id` in flight at once (FerretDB pushes down only an exact `{_id}` filter). */
const PARALLEL = 20;

export interface ISweepOptions {
  /** Report, remove nothing. */
  dryRun?: boolean;
  /** Count references as if these groups were gone already (a dry run of deleting them). */
  withoutGroups?: readonly string[];
}

export interface ISweepReport {
  blobs: number;
  bytes: number;
}

export class BlobCollector {
  /** The blobs' locks, which their writers take as well (storage/blob-store.ts). */
  private readonly locks: TaskLocks;

  constructor(
    private readonly conn: MongoConnection,
    /** Blobs created or touched this recently are kept even when unreferenced. @defaultValue 10 minutes */
    private readonly graceMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
    /**
     * Called between reading the references and deleting: tests widen the window in which a
     * writer races the sweep, to show the writers' refresh is what keeps their blobs.
     */
    private readonly afterMark: () => Promise<void> = async () => undefined,
    /**
     * Called holding the locks of a chunk of blobs, after checking they are still old and before
     * deleting them: tests have a writer touch one there (the writer must wait for the lock).
     */
    private readonly beforeDelete: (ids: readonly string[]) => Promise<void> = async () => undefined
  ) {
    this.locks = new TaskLocks(conn);
  }

  async sweep(options: ISweepOptions = {}): Promise<ISweepReport> {
    // The cutoff is fixed before the references are read (see the module comment).
    const cutoff = new Date(this.now() - this.graceMs).toISOString();
    const referenced = await this.references(options.withoutGroups ?? []);
    const candidates = await this.conn.run((db) =>
      db
        .collection<IBlobMeta>(Collections.blobs)
        .find({}, { projection: { _id: 1, size: 1, created: 1, touched: 1, gridfs: 1 } })
        .toArray()
    );
    await this.afterMark();
    const report: ISweepReport = { blobs: 0, bytes: 0 };
    const unreferenced = candidates.filter((blob) => !referenced.has(blob._id) && olderThan(blob, cutoff));
    if (options.dryRun) return { blobs: unreferenced.length, bytes: unreferenced.reduce((sum, b) => sum + b.size, 0) };
    for (let i = 0; i < unreferenced.length; i += SWEEP_LOCK_CHUNK) {
      const removed = await this.removeLocked(unreferenced.slice(i, i + SWEEP_LOCK_CHUNK).map((b) => b._id), cutoff);
      report.blobs += removed.length;
      report.bytes += removed.reduce((sum, b) => sum + b.size, 0);
    }
    return report;
  }

  /** Every sha256 some document references. */
  private async references(withoutGroups: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    await this.conn.run(async (db) => {
      for (const { collection, field } of BLOB_REFERENCES) {
        const filter: Record<string, unknown> = { [field]: { $exists: true } };
        if (withoutGroups.length > 0) {
          if (GROUP_COLLECTIONS.has(collection)) filter.task_group = { $nin: withoutGroups };
          else if (collection === Collections.taskGroups) filter._id = { $nin: withoutGroups };
        }
        for (const value of await db.collection(collection).distinct(field, filter)) if (typeof value === 'string') out.add(value);
      }
      if (withoutGroups.length > 0) {
        // the result documents of those groups that the clean-up keeps for surviving cached tasks
        const kept = [...(await cachedResults(db, withoutGroups))];
        for (let i = 0; i < kept.length; i += 1000) {
          const values = await db.collection<{ _id: string; sha256: string }>(Collections.results).distinct('sha256', { _id: { $in: kept.slice(i, i + 1000) } });
          for (const value of values) if (typeof value === 'string') out.add(value);
        }
      }
    });
    return out;
  }

  /**
   * Take the blobs' locks, and delete those still older than the cutoff when read under them
   * (by `_id` alone: nobody else writes them meanwhile). Returns the blobs this call removed.
   */
  private async removeLocked(ids: string[], cutoff: string): Promise<IBlobMeta[]> {
    const taken = await this.locks.takeMany(ids.map(blobLockKey));
    const held = new Set(taken);
    try {
      // A lock held now is a writer refreshing the blob (left for the next sweep), or a dead
      // writer's: take() takes that over once stale, so its blob is not kept forever.
      for (const key of ids.map(blobLockKey).filter((k) => !held.has(k))) {
        if (await this.locks.take(key)) {
          taken.push(key);
          held.add(key);
        }
      }
      const mine = ids.filter((id) => held.has(blobLockKey(id)));
      const doomed = (await inParallel(mine, (id) => this.read(id))).filter((b): b is IBlobMeta => b !== null && olderThan(b, cutoff));
      if (doomed.length === 0) return [];
      await this.beforeDelete(doomed.map((b) => b._id));
      await this.remove(doomed);
      return doomed;
    } finally {
      await this.locks.releaseMany(taken);
    }
  }

  private read(id: string): Promise<IBlobMeta | null> {
    return this.conn.run((db) =>
      db.collection<IBlobMeta>(Collections.blobs).findOne({ _id: id }, { projection: { _id: 1, size: 1, created: 1, touched: 1, gridfs: 1 } })
    );
  }

  /**
   * Delete blobs whose locks are held (so all are there): their documents by `_id` in bulk
   * writes of BULK_WRITE_BATCH (one writer at a time suits FerretDB's SQLite), then the GridFS
   * chunks of the large ones.
   */
  private async remove(blobs: IBlobMeta[]): Promise<void> {
    await this.conn.run(async (db) => {
      for (let i = 0; i < blobs.length; i += BULK_WRITE_BATCH) {
        const ops = blobs.slice(i, i + BULK_WRITE_BATCH).map((b) => ({ deleteOne: { filter: { _id: b._id } } }));
        await db.collection<IBlobMeta>(Collections.blobs).bulkWrite(ops, { ordered: false });
      }
      for (const blob of blobs) if (blob.gridfs) await deleteGridFs(db, blob._id);
    });
  }
}

/** `fn` of every item, {@link PARALLEL} at a time, in order. */
async function inParallel<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += PARALLEL) out.push(...(await Promise.all(items.slice(i, i + PARALLEL).map(fn))));
  return out;
}

function olderThan(blob: IBlobMeta, cutoff: string): boolean {
  return blob.created < cutoff && (blob.touched === undefined || blob.touched < cutoff);
}

async function deleteGridFs(db: Db, id: string): Promise<void> {
  const bucket = new GridFSBucket(db, { bucketName: Collections.blobBucket });
  for (const file of await bucket.find({ filename: id }).toArray()) await bucket.delete(file._id);
}
