/**
 * Content-addressed storage of JSON bytes: a blob's id is the sha256 of its bytes, so a notebook
 * mapped over 10,000 parameters is stored once. Small blobs are one document with BSON Binary;
 * blobs above `inlineLimit` go to a GridFS bucket (a BSON document is capped at 16 MB).
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
    private readonly inlineLimit = INLINE_BLOB_LIMIT
  ) {}

  private blobs(db: Db) {
    return db.collection<IBlobDoc>(Collections.blobs);
  }

  /**
   * Store `bytes` unless a blob with the same content is already there. An inline blob is one
   * insert (a duplicate key means it was there); a GridFS one is looked up first, so its chunks are
   * never uploaded twice.
   */
  async put(bytes: Buffer): Promise<{ sha256: string; size: number }> {
    const id = sha256(bytes);
    const size = bytes.byteLength;
    await this.conn.run(async (db) => {
      if (size > this.inlineLimit) {
        if (await this.touchIn(db, id)) return;
        await this.upload(db, id, bytes);
      }
      const doc: IBlobDoc =
        size > this.inlineLimit
          ? { _id: id, size, gridfs: true, created: new Date().toISOString() }
          : { _id: id, size, data: new Binary(bytes), created: new Date().toISOString() };
      try {
        await this.blobs(db).insertOne(doc);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // Already stored: this is a new reference to it. Refresh it, or store it again if a
        // garbage collection removed it between the insert and now.
        if (!(await this.touchIn(db, id))) await this.blobs(db).insertOne(doc);
      }
    });
    return { sha256: id, size };
  }

  /**
   * Mark blob `id` as referenced now (see `touched`); call it before writing a new reference to
   * a blob that is already stored. @throws NotFoundError when it is no longer stored
   */
  async touch(id: string): Promise<void> {
    if (!(await this.conn.run((db) => this.touchIn(db, id)))) {
      throw new NotFoundError(`blob ${id} is no longer stored (removed as unreferenced): put the notebook again`);
    }
  }

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
