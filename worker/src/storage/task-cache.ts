/**
 * The cache of OK runs (`task_cache`, `_id` = `<job>:<input key>`) and the task documents of a
 * map's cached tasks. A lookup is one `find` on `_id` with `$in` per 1,000 keys (FerretDB v1
 * pushes only `_id` filters down to SQLite); an entry is written by `_id` alone.
 */
import { Binary, MongoBulkWriteError, type Db } from 'mongodb';
import { encodeJson, type JsonText } from '../domain/json-bytes';
import type { ICacheEntry, ICachedTask, ITaskCache } from '../domain/task-cache';
import type { IJobRun, ITask, JsonValue } from '../domain/types';
import { isDuplicateKey } from './blob-store';
import { Collections } from './collections';
import { binaryBytes, taskDocOf, toTask, type ITaskDoc, type ITaskGroupDoc } from './documents';
import type { IndexedStatus } from './indexed-status';
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

/** Worker name of a cached task's run: it did not run anywhere. */
export const CACHE_WORKER = 'cache';

export class TaskCache implements ITaskCache {
  constructor(
    private readonly conn: MongoConnection,
    private readonly status: IndexedStatus
  ) {}

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

  async writeCached(job: string, taskGroup: string, cached: ICachedTask[]): Promise<ITask[]> {
    if (cached.length === 0) return [];
    const group = await this.conn.run((db) => db.collection<ITaskGroupDoc>(Collections.taskGroups).findOne({ _id: taskGroup }, { projection: { params: 0 } }));
    if (!group || group.job !== job || !group.task_id_salt) throw new Error(`task group ${taskGroup} of ${job} is not stored`);
    const salted = { ...group, task_id_salt: group.task_id_salt };
    const now = new Date().toISOString();
    const docs = cached.map(({ job_id, entry, param }) => {
      const base = taskDocOf(salted, job_id, param);
      const run: IJobRun = {
        status: 'OK',
        ts: now,
        message: `cached: the inputs are those of ${entry.task}, whose OK run (result and result notebook) this task reuses`,
        results: entry.results,
        duration: 0,
        worker: CACHE_WORKER,
        attempt: 1,
        task_id: base.task_id
      };
      const doc: ITaskDoc = {
        ...base,
        state: 'SUCCESS',
        run_status: 'OK',
        job_runs: [run],
        run_keys: [`cache:${base.task_id}:1`],
        runs_total: 1,
        worker: CACHE_WORKER,
        cached_from: entry.task,
        updated: now,
        rev: 1,
        ...(entry.result ? { result: new Binary(Buffer.from(entry.result)) } : {})
      };
      return doc;
    });
    const duplicates = await this.conn.run((db) => db.collection<ITaskDoc>(Collections.tasks).insertMany(docs, { ordered: false })).then(
      () => [] as number[],
      (err: unknown) => {
        if (err instanceof MongoBulkWriteError) {
          const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
          if (errors.every((e) => e.code === 11000)) return errors.map((e) => e.index);
        }
        if (isDuplicateKey(err)) return docs.map((_, i) => i);
        throw err;
      }
    );
    // Created meanwhile as PENDING by a reader of the group: never queued, so nobody else writes them.
    for (const i of duplicates) {
      const { _id, ...rest } = docs[i];
      await this.conn.run((db) => db.collection<ITaskDoc>(Collections.tasks).updateOne({ _id }, { $set: rest }));
    }
    // The group's index rows said PENDING: the next status read rebuilds them from MongoDB.
    await this.status.drop(taskGroup);
    return docs.map(toTask);
  }
}
