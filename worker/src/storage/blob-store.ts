/**
 * Content-addressed storage of JSON bytes: a blob's id is the sha256 of its bytes, so a notebook
 * mapped over 10,000 parameters is stored once. Small blobs are one document with BSON Binary;
 * blobs above `inlineLimit` go to a GridFS bucket (a BSON document is capped at 16 MB).
 *
 * Every write of an existing blob (a touch, a put of bytes already stored, a put of a GridFS blob:
 * metadata and chunks) holds the blob's lock ({@link blobLockKey}, the TaskLocks unique-insert
 * locks), as does the garbage collection's check-then-delete (retention/blob-collector.ts): so a
 * touch never lands between the collection finding a blob old and deleting it, on FerretDB (whose
 * conditional deletes are not atomic) as on MongoDB. A put of new bytes is one plain insert: a
 * blob the collection is deleting still exists until it is gone, so the insert fails and the put
 * takes the locked path.
 */
import { Binary, GridFSBucket, MongoBulkWriteError, MongoServerError, type Db } from 'mongodb';
import { NotFoundError } from '../domain/errors';
import { Collections } from './collections';
import { binaryBytes } from './documents';
import { sha256 } from '../domain/json-bytes';
import type { MongoConnection } from './mongo-connection';

/** Largest blob stored inline. @defaultValue 15 MB */
export const INLINE_BLOB_LIMIT = 15 * 1024 * 1024;

interface IBlobDoc {
  _id: string;
  size: number;
  data?: Binary;
  gridfs?: boolean;
  created: string;
  /**
   * Last time a writer referenced this blob again (a put of the same bytes, a new group of its
   * notebook); a collection sweeps only blobs neither created nor touched within its grace period.
   */
  touched?: string;
}

/** The TaskLocks key of blob `sha256`: its writers and the garbage collection take it. */
export function blobLockKey(sha256: string): string {
  return `blob:${sha256}`;
}

/** Per-key mutual exclusion (storage/task-locks.ts TaskLocks; given, not imported: it imports this file). */
export interface IKeyLocks {
  /** Run `fn` holding `key`'s lock; waits while another holds it. */
  with<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** True for E11000 (the document is already there). */
export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

/** For an unordered insert where some documents already existed: that part is fine. */
export function ignoreDuplicates(err: unknown): void {
  if (err instanceof MongoBulkWriteError) {
    const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    if (errors.length > 0 && errors.every((e) => e.code === 11000)) return;
  }
  if (isDuplicateKey(err)) return;
  throw err;
}

export class BlobStore {
  constructor(
    private readonly conn: MongoConnection,
    /** @defaultValue INLINE_BLOB_LIMIT */
    private readonly inlineLimit: number,
    /** The blobs' locks (see the module comment). */
    private readonly locks: IKeyLocks
  ) {}

  private blobs(db: Db) {
    return db.collection<IBlobDoc>(Collections.blobs);
  }

  /**
   * Store `bytes` unless a blob with the same content is already there. An inline blob is one
   * insert (a duplicate key means it was there: it is touched under its lock); a GridFS one is
   * looked up first under its lock, so its chunks are never uploaded twice nor deleted while
   * uploaded.
   */
  async put(bytes: Buffer): Promise<{ sha256: string; size: number }> {
    const id = sha256(bytes);
    const size = bytes.byteLength;
    const created = () => new Date().toISOString();
    if (size > this.inlineLimit) {
      await this.locks.with(blobLockKey(id), () =>
        this.conn.run(async (db) => {
          if (await this.touchIn(db, id)) return;
          await this.upload(db, id, bytes);
          // a duplicate: a writer that took the lock over after its time to live stored it meanwhile
          await this.blobs(db).insertOne({ _id: id, size, gridfs: true, created: created() }).catch(ignoreDuplicates);
        })
      );
      return { sha256: id, size };
    }
    const doc = (): IBlobDoc => ({ _id: id, size, data: new Binary(bytes), created: created() });
    try {
      await this.conn.run((db) => this.blobs(db).insertOne(doc()));
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Already stored: this is a new reference to it. Refresh it under its lock, or store it
      // again if a garbage collection removed it before the lock was ours.
      await this.locks.with(blobLockKey(id), () =>
        this.conn.run(async (db) => {
          if (!(await this.touchIn(db, id))) await this.blobs(db).insertOne(doc()).catch(ignoreDuplicates);
        })
      );
    }
    return { sha256: id, size };
  }

  /**
   * Mark blob `id` as referenced now (see `touched`), under its lock; call it before writing a
   * new reference to a blob that is already stored. @throws NotFoundError when it is no longer stored
   */
  async touch(id: string): Promise<void> {
    if (!(await this.locks.with(blobLockKey(id), () => this.conn.run((db) => this.touchIn(db, id))))) {
      throw new NotFoundError(`blob ${id} is no longer stored (removed as unreferenced): put the notebook again`);
    }
  }

  /** Callers hold the blob's lock. */
  private async touchIn(db: Db, id: string): Promise<boolean> {
    const res = await this.blobs(db).updateOne({ _id: id }, { $set: { touched: new Date().toISOString() } });
    return res.matchedCount > 0;
  }

  private async upload(db: Db, id: string, bytes: Buffer): Promise<void> {
    const bucket = new GridFSBucket(db, { bucketName: Collections.blobBucket });
    await new Promise<void>((resolve, reject) => {
      const stream = bucket.openUploadStream(id);
      stream.once('error', reject);
      stream.once('finish', () => resolve());
      stream.end(bytes);
    });
  }

  /** The bytes of blob `id`. @throws NotFoundError when it is not stored */
  async get(id: string): Promise<Buffer> {
    return this.conn.run(async (db) => {
      const doc = await this.blobs(db).findOne({ _id: id });
      if (!doc) throw new NotFoundError(`blob ${id} is not stored`);
      if (doc.data) return Buffer.from(binaryBytes(doc.data));
      const chunks: Buffer[] = [];
      const bucket = new GridFSBucket(db, { bucketName: Collections.blobBucket });
      for await (const chunk of bucket.openDownloadStreamByName(id)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
  }

  /** Sizes of the given blobs (missing ones are left out). */
  async sizes(ids: string[]): Promise<Map<string, number>> {
    const docs = await this.conn.run((db) =>
      this.blobs(db)
        .find({ _id: { $in: ids } }, { projection: { _id: 1, size: 1 } })
        .toArray()
    );
    return new Map(docs.map((d) => [d._id, d.size]));
  }
}
