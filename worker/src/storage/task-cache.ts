/**
 * The cache of OK runs (`task_cache`, `_id` = `<job>:<input key>`); a map's cached tasks are
 * stored with its group (`cached-tasks.ts`). A lookup is one `find` on `_id` with `$in` per 1,000 keys (FerretDB v1
 * pushes only `_id` filters down to SQLite); an entry is written by `_id` alone.
 */
import { Binary, type Db } from 'mongodb';
import { encodeJson, type JsonText } from '../domain/json-bytes';
import type { ICacheEntry, ITaskCache } from '../domain/task-cache';
import type { ITask, JsonValue } from '../domain/types';
import { Collections } from './collections';
import { binaryBytes } from './documents';
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

export class TaskCache implements ITaskCache {
  constructor(private readonly conn: MongoConnection) {}

  private entries(db: Db) {
    return db.collection<ICacheDoc>(Collections.taskCache);
  }

  async lookup(job: string, keys: string[]): Promise<Map<string, ICacheEntry>> {
    const out = new Map<string, ICacheEntry>();
    const ids = [...new Set(keys)].map((k) => `${job}:${k}`);
    for (let i = 0; i < ids.length; i += LOOKUP_BATCH) {
      const docs = await this.conn.run((db) => this.entries(db).find({ _id: { $in: ids.slice(i, i + LOOKUP_BATCH) } }).toArray());
      for (const d of docs) {
        out.set(d.key, { key: d.key, task: d.task, results: d.results, ...(d.result ? { result: binaryBytes(d.result) } : {}) });
      }
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
  }
}
