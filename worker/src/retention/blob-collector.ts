/**
 * Mark and sweep of content-addressed blobs, safe against writers running at the same time.
 *
 * A blob is removed only when (1) no document references it and (2) it was neither created nor
 * touched within the grace period. Writers keep their side of the bargain in the same write path
 * (storage/blob-store.ts, storage/task-groups.ts): a writer about to reference a blob either puts
 * it (a new blob is fresh; an existing one is touched, and stored again if it just went) or
 * touches it, before it writes the reference. The sweep fixes its cutoff first, then reads the
 * references, then deletes each candidate only while it is still older than the cutoff. So for
 * a map accepted during a sweep, either its touch came before the sweep's delete (the blob is
 * fresh: kept), or after it (the touch finds no blob and the map is refused, nothing is lost),
 * or before the cutoff, when the grace period (far longer than a touch-to-reference write) has
 * the reference written before the references are read.
 *
 * Every field that references a blob is listed in BLOB_REFERENCES: a new one must be added there.
 * (The cache, reduce, grid and progress features add none: a cached task and a cache entry name a
 * result notebook, whose `results` document holds the sha256; a reduce task's input, returned
 * values and scraps are inline Binary. A deleted group's result documents that cached tasks of a
 * surviving group reuse are kept by the group clean-up, so they count here as well; a dry run
 * counts them through `cachedResults`.)
 */
import { GridFSBucket, type Db } from 'mongodb';
import { Collections } from '../storage/collections';
import type { MongoConnection } from '../storage/mongo-connection';
import { cachedResults } from './cached-references';

/** Every document field that holds a blob's sha256. */
export const BLOB_REFERENCES: readonly { collection: string; field: string }[] = [
  { collection: Collections.notebooks, field: 'sha256' },
  { collection: Collections.taskGroups, field: 'main_sha256' },
  { collection: Collections.taskGroups, field: 'params_sha256' },
  { collection: Collections.tasks, field: 'main_sha256' },
  { collection: Collections.results, field: 'sha256' }
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
  constructor(
    private readonly conn: MongoConnection,
    /** Blobs created or touched this recently are kept even when unreferenced. @defaultValue 10 minutes */
    private readonly graceMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
    /**
     * Called between reading the references and deleting: tests widen the window in which a
     * writer races the sweep, to show the writers' refresh is what keeps their blobs.
     */
    private readonly afterMark: () => Promise<void> = async () => undefined
  ) {}

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
    for (const blob of candidates) {
      if (referenced.has(blob._id) || !olderThan(blob, cutoff)) continue;
      if (options.dryRun || (await this.remove(blob, cutoff))) {
        report.blobs++;
        report.bytes += blob.size;
      }
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

  /** Delete a blob if it is still older than the cutoff; true when this call removed it. */
  private async remove(blob: IBlobMeta, cutoff: string): Promise<boolean> {
    return this.conn.run(async (db) => {
      const res = await db.collection<IBlobMeta>(Collections.blobs).deleteOne({
        _id: blob._id,
        created: { $lt: cutoff },
        $or: [{ touched: { $exists: false } }, { touched: { $lt: cutoff } }]
      });
      if (res.deletedCount === 0) return false;
      if (blob.gridfs) await deleteGridFs(db, blob._id);
      return true;
    });
  }
}

function olderThan(blob: IBlobMeta, cutoff: string): boolean {
  return blob.created < cutoff && (blob.touched === undefined || blob.touched < cutoff);
}

async function deleteGridFs(db: Db, id: string): Promise<void> {
  const bucket = new GridFSBucket(db, { bucketName: Collections.blobBucket });
  for (const file of await bucket.find({ filename: id }).toArray()) await bucket.delete(file._id);
}
