/**
 * The cache of OK runs: the record in MongoDB (`task_cache`, `_id` = `<job>:<input key>`, written
 * by `_id` alone) and the lookup index in Redis (`cache-index.ts`): one HMGET per map. Without the
 * index (or while Redis is unreachable) a lookup is one `find` on `_id` with `$in` per 1,000 keys
 * (FerretDB v1 pushes only `_id` filters down to SQLite); an entry is written by `_id` alone. A
 * map's cached tasks are stored with its group (`cached-tasks.ts`).
 */
import { Binary, type Db } from 'mongodb';
import { encodeJson, type JsonText } from '../domain/json-bytes';
import type { ICacheEntry, ITaskCache } from '../domain/task-cache';
import type { ITask, JsonValue } from '../domain/types';
import { taskName } from '../notebooks/task-names';
import { Collections } from './collections';
import { binaryBytes } from './documents';
import type { CacheIndex } from './cache-index';
import type { MongoConnection } from './mongo-connection';

interface ICacheDoc {
  _id: string;
  job: string;
  key: string;
  task: string;
  results: string | null;
  result?: Binary;
  updated: string;
}

/** Keys per lookup query. */
const LOOKUP_BATCH = 1000;

/** Reads of large returned values from MongoDB in flight at once during one lookup. */
const BIG_READS = 8;

/** Returned values up to this size travel in the Redis index; larger ones are read from MongoDB. */
const INDEXED_RESULT_BYTES = 64 * 1024;

/** An entry as the Redis index holds it: task, result notebook, and the value's JSON or `big`. */
interface IIndexed {
  t: string;
  r: string | null;
  v?: string;
  big?: true;
}

export class TaskCache implements ITaskCache {
  constructor(
    private readonly conn: MongoConnection,
    /** The Redis lookup index; without it every lookup is a MongoDB `$in` query. */
    private readonly index?: CacheIndex,
    private readonly log: (line: string) => void = () => undefined
  ) {}

  private entries(db: Db) {
    return db.collection<ICacheDoc>(Collections.taskCache);
  }

  async lookup(job: string, keys: string[]): Promise<Map<string, ICacheEntry>> {
    if (this.index) {
      try {
        return await this.lookupIndexed(job, keys, this.index);
      } catch (err) {
        this.log(`cache index unreadable (${err instanceof Error ? err.message : String(err)}); reading MongoDB`);
      }
    }
    return this.lookupMongo(job, keys);
  }

  private async lookupIndexed(job: string, keys: string[], index: CacheIndex): Promise<Map<string, ICacheEntry>> {
    let values = await index.get(job, keys);
    if (values === null) {
      // not built (new job, or Redis lost it): fill it from the record once (see cache-index.ts)
      const token = await index.beginFill(job);
      const docs = await this.conn.run((db) => this.entries(db).find({ job }).toArray());
      const filled = await index.fill(job, token, docs.map((d) => [d.key, indexed(d)]));
      values = filled ? await index.get(job, keys) : null;
      if (values === null) throw new Error('the cache index was changed while it was filled');
    }
    const out = new Map<string, ICacheEntry>();
    const big: string[] = [];
    keys.forEach((key, i) => {
      const value = values?.[i];
      if (!value) return;
      const e = JSON.parse(value) as IIndexed;
      if (e.big) big.push(key);
      else out.set(key, { key, task: e.t, results: e.r, ...(e.v !== undefined ? { result: Buffer.from(e.v, 'utf8') } : {}) });
    });
    // Large returned values stay in MongoDB: read by `_id` (pushed down; a `$in` would scan the
    // collection), BIG_READS at a time rather than one round trip after another.
    let next = 0;
    const reader = async (): Promise<void> => {
      while (next < big.length) {
        const key = big[next++];
        const d = await this.conn.run((db) => this.entries(db).findOne({ _id: `${job}:${key}` }));
        if (d) out.set(key, entryOf(d));
      }
    };
    await Promise.all(Array.from({ length: Math.min(BIG_READS, big.length) }, reader));
    return out;
  }

  private async lookupMongo(job: string, keys: string[]): Promise<Map<string, ICacheEntry>> {
    const out = new Map<string, ICacheEntry>();
    const ids = [...new Set(keys)].map((k) => `${job}:${k}`);
    for (let i = 0; i < ids.length; i += LOOKUP_BATCH) {
      const docs = await this.conn.run((db) => this.entries(db).find({ _id: { $in: ids.slice(i, i + LOOKUP_BATCH) } }).toArray());
      for (const d of docs) out.set(d.key, entryOf(d));
    }
    return out;
  }

  async record(job: string, task: Pick<ITask, 'name'>, key: string, results: string | null, result: JsonValue | JsonText | undefined): Promise<void> {
    const doc: ICacheDoc = {
      _id: `${job}:${key}`,
      job,
      key,
      task: task.name,
      results,
      ...(result !== undefined ? { result: new Binary(encodeJson(result, 'the returned value')) } : {}),
      updated: new Date().toISOString()
    };
    await this.conn.run((db) => this.entries(db).replaceOne({ _id: doc._id }, doc, { upsert: true }));
    if (this.index) {
      const index = this.index;
      await index.put(job, key, indexed(doc)).catch(async () => {
        // not in the index: make the next lookup fill it from MongoDB (or read MongoDB)
        await index.drop(job).catch(() => undefined);
      });
    }
  }

  /**
   * Forget the entries whose run is a task of `taskGroup` (the group is being deleted): a later
   * `map(cache=True)` runs those inputs again instead of pointing at a deleted run. MongoDB
   * first, then the Redis index (if that fails, the index is dropped and refilled from MongoDB).
   * @returns how many entries went
   */
  async forgetGroup(job: string, taskGroup: string): Promise<number> {
    const prefix = taskName(job, taskGroup, 0).slice(0, -1);
    const docs = await this.conn.run((db) => this.entries(db).find({ job }, { projection: { _id: 1, key: 1, task: 1 } }).toArray());
    const gone = docs.filter((d) => d.task.startsWith(prefix) && /^\d+$/.test(d.task.slice(prefix.length)));
    if (gone.length === 0) return 0;
    for (let i = 0; i < gone.length; i += LOOKUP_BATCH) {
      const ids = gone.slice(i, i + LOOKUP_BATCH).map((d) => d._id);
      await this.conn.run((db) => this.entries(db).deleteMany({ _id: { $in: ids } }));
    }
    if (this.index) {
      const index = this.index;
      await index.remove(job, gone.map((d) => d.key)).catch(async () => {
        await index.drop(job).catch(() => undefined);
      });
    }
    return gone.length;
  }
}

function entryOf(d: ICacheDoc): ICacheEntry {
  return { key: d.key, task: d.task, results: d.results, ...(d.result ? { result: binaryBytes(d.result) } : {}) };
}

function indexed(d: ICacheDoc): string {
  const e: IIndexed = { t: d.task, r: d.results };
  if (d.result) {
    const bytes = binaryBytes(d.result);
    if (bytes.byteLength > INDEXED_RESULT_BYTES) e.big = true;
    else e.v = Buffer.from(bytes).toString('utf8');
  }
  return JSON.stringify(e);
}
