/**
 * Task groups and tasks, and the calls a worker makes while it runs a task. Every update is a
 * single-document conditional write, so no transactions are needed (FerretDB v1 has none).
 */
import { randomBytes } from 'node:crypto';
import { Binary, MongoBulkWriteError, type Db, type Filter, type UpdateFilter } from 'mongodb';
import { NotFoundError } from '../domain/errors';
import type { IJobRun, IStatusRow, ITask, JsonValue, QueueState } from '../domain/types';
import { ACTIVE_STATES } from '../domain/queue-states';
import { statusRow } from '../jobs/task-rows';
import { renderTaskNotebook } from '../notebooks/inject-parameters';
import { parseTaskName, resultName, stripIpynb } from '../notebooks/task-names';
import { isDuplicateKey, type BlobStore } from './blob-store';
import { Collections } from './collections';
import { INLINE_PARAMS_LIMIT, binaryBytes, taskDocOf, toTask, type ITaskDoc, type ITaskGroupDoc } from './documents';
import { decodeJson, encodeJson } from './json-bytes';
import type { MongoConnection } from './mongo-connection';
import type { NotebookStore } from './notebook-store';
import type { StatusIndex } from './status-index';

/** Group reads without the parameters (up to INLINE_PARAMS_LIMIT bytes). */
const NO_PARAMS = { params: 0 } as const;

/** States a task can still leave by being picked up by a worker. */
export { ACTIVE_STATES };

/** A task document without its parameter and result bytes (what status listings read). */
export type ITaskSummaryDoc = Omit<ITaskDoc, 'param' | 'result'>;

/** What recording a run needs to know of its task besides the name (fixed when the map was made). */
export type ITaskRef = Pick<ITask, 'name' | 'job' | 'task_group' | 'job_id'>;

/** A restart of one task: its new Celery id and attempt. */
export interface ITaskRestart {
  name: string;
  task_id: string;
  attempt: number;
  task_group: string;
  /** Set when the task is re-pointed at the current main notebook. */
  main_sha256?: string;
}

export class TaskStore {
  /** Recently rendered main notebooks' bytes, by sha256: a worker renders many tasks of one map. */
  private readonly mainCache = new Map<string, Buffer>();

  /** Groups whose task documents this process is creating, by group id. */
  private readonly materializing = new Map<string, Promise<void>>();
  /** Recently read groups' parameters (JSON bytes each), by group id and salt. */
  private readonly paramsCache = new Map<string, Uint8Array[]>();

  /** Groups whose index is being rebuilt by this process (one rebuild per group at a time). */
  private readonly rebuilding = new Map<string, Promise<IStatusRow[]>>();

  constructor(
    private readonly conn: MongoConnection,
    private readonly blobs: BlobStore,
    private readonly notebooks: NotebookStore,
    /** How many main notebooks' bytes to keep in memory. @defaultValue 4 */
    private readonly cacheSize = 4,
    /** Status rows kept in Redis (see StatusIndex); without it status reads MongoDB. */
    private readonly index?: StatusIndex,
    private readonly log: (line: string) => void = () => undefined
  ) {}

  private tasks(db: Db) {
    return db.collection<ITaskDoc>(Collections.tasks);
  }

  private groups(db: Db) {
    return db.collection<ITaskGroupDoc>(Collections.taskGroups);
  }

  /**
   * Run an index write; on failure (Redis unreachable) drop the group's index if possible, so
   * readers go back to MongoDB rather than read a row that missed this change.
   */
  private async guardIndex(taskGroup: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      this.log(`status index of group ${taskGroup} not updated (${err instanceof Error ? err.message : String(err)})`);
      await this.index?.drop(taskGroup).catch(() => undefined);
    }
  }

  /** Put a changed document's row in the index (a no-op without one). */
  private async indexDoc(doc: ITaskSummaryDoc): Promise<void> {
    const index = this.index;
    if (index) await this.guardIndex(doc.task_group, () => index.apply(doc.task_group, [{ rev: doc.rev ?? 0, row: statusRow(doc) }]));
  }

  /** Drop the index of a group after a bulk update that returned no documents. */
  private async dropIndex(taskGroup: string): Promise<void> {
    const index = this.index;
    if (index) await this.guardIndex(taskGroup, () => index.drop(taskGroup));
  }

  /**
   * Status rows of one group in `job_id` order: from the index when it is complete (and rebuilt
   * in the background when its last build is older than its refresh interval), else read from
   * MongoDB and the index rebuilt from that read.
   */
  async statusRows(job: string, taskGroup: string): Promise<IStatusRow[]> {
    return JSON.parse(await this.statusJson(job, taskGroup)) as IStatusRow[];
  }

  /** `statusRows` as the JSON text of an array (from the index without parsing it). */
  async statusJson(job: string, taskGroup: string): Promise<string> {
    if (!this.index) return JSON.stringify((await this.summaries(job, taskGroup)).map(statusRow));
    let cached: { json: string; built: number } | null = null;
    try {
      cached = await this.index.readJson(taskGroup);
    } catch (err) {
      this.log(`status index unreadable (${err instanceof Error ? err.message : String(err)}); reading MongoDB`);
      return JSON.stringify((await this.summaries(job, taskGroup)).map(statusRow));
    }
    if (!cached) return JSON.stringify(await this.rebuildIndex(job, taskGroup));
    if (Date.now() - cached.built > this.index.refreshMs) void this.rebuildIndex(job, taskGroup).catch(() => undefined);
    return cached.json;
  }

  /** Rebuild a group's index from MongoDB; returns the rows read. One rebuild per group at a time. */
  private rebuildIndex(job: string, taskGroup: string): Promise<IStatusRow[]> {
    const running = this.rebuilding.get(taskGroup);
    if (running) return running;
    const index = this.index as StatusIndex;
    const work = (async () => {
      let token: string | null = null;
      try {
        token = await index.begin(taskGroup);
      } catch {
        // Redis unreachable: answer from MongoDB alone.
      }
      const docs = await this.summaries(job, taskGroup);
      if (token !== null) {
        const t = token;
        await this.guardIndex(taskGroup, async () => {
          await index.complete(taskGroup, t, docs.map((d) => ({ rev: d.rev ?? 0, row: statusRow(d) })));
        });
      }
      return docs.map(statusRow);
    })().finally(() => this.rebuilding.delete(taskGroup));
    this.rebuilding.set(taskGroup, work);
    return work;
  }

  /**
   * Store a map in O(1) writes however many tasks it has: the group document holding every
   * parameter as one JSON array (a blob when over INLINE_PARAMS_LIMIT), marked not yet
   * materialized, then the group's status rows in the index. Returns the task documents, which do not exist yet: call `materialize`
   * once the tasks are queued. Until every document exists, reading a task creates it from the
   * group (`get`), and group-wide reads wait for all of them (`ensureMaterialized`).
   * @param params each parameter's JSON bytes, in map order
   */
  async createMap(group: ITaskGroupDoc, params: Uint8Array[]): Promise<ITaskDoc[]> {
    const parts: Buffer[] = [Buffer.from('[')];
    params.forEach((p, i) => parts.push(...(i > 0 ? [Buffer.from(','), Buffer.from(p)] : [Buffer.from(p)])));
    parts.push(Buffer.from(']'));
    const withParams = { ...group, task_id_salt: group.task_id_salt ?? randomSalt(), materialized: false };
    const docs = params.map((p, i) => taskDocOf(withParams, i, p));
    const packed = Buffer.concat(parts);
    try {
      if (packed.byteLength <= INLINE_PARAMS_LIMIT) withParams.params = new Binary(packed);
      else withParams.params_sha256 = (await this.blobs.put(packed)).sha256;
      await this.conn.run((db) => this.groups(db).insertOne(withParams));
    } catch (err) {
      await this.deleteGroup(group._id).catch(() => undefined);
      throw err;
    }
    this.paramsCache.set(paramsKey(withParams), params);
    if (this.index) {
      const index = this.index;
      await this.guardIndex(group._id, async () => {
        const token = await index.begin(group._id);
        await index.complete(group._id, token, docs.map((t) => ({ rev: 0, row: statusRow(t) })));
      });
    }
    Object.assign(group, withParams);
    return docs;
  }

  /**
   * Create every task document of `group` that does not exist yet (tasks a worker already
   * created, and changed since, are left as they are), then mark the group materialized.
   * One call per group runs at a time in this process; later callers wait for it.
   * @param docs the documents `createMap` returned; recomputed from the group when absent
   */
  materialize(group: ITaskGroupDoc, docs?: ITaskDoc[]): Promise<void> {
    const running = this.materializing.get(group._id);
    if (running) return running;
    const work = (async () => {
      const all = docs ?? (await this.groupTaskDocs(group));
      for (let i = 0; i < all.length; i += 5000) {
        const chunk = all.slice(i, i + 5000);
        await this.conn.run((db) => this.tasks(db).insertMany(chunk, { ordered: false })).catch(ignoreDuplicates);
      }
      await this.conn.run((db) => this.groups(db).updateOne({ _id: group._id }, { $set: { materialized: true } }));
      group.materialized = true;
    })().finally(() => this.materializing.delete(group._id));
    this.materializing.set(group._id, work);
    return work;
  }

  /** Wait until the task documents of `group` (or of every group of `job` with `'*'`) exist. */
  async ensureMaterialized(job: string, taskGroup: string): Promise<void> {
    const filter: Filter<ITaskGroupDoc> = taskGroup === '*' ? { job, materialized: false } : { _id: taskGroup, job, materialized: false };
    const pending = await this.conn.run((db) => this.groups(db).find(filter, { projection: NO_PARAMS }).toArray());
    for (const g of pending) await this.materialize(g);
  }

  /** Wait for every group of any job that is not materialized yet (for listings by name). */
  private async ensureAllMaterialized(): Promise<void> {
    const pending = await this.conn.run((db) => this.groups(db).find({ materialized: false }, { projection: NO_PARAMS }).toArray());
    for (const g of pending) await this.materialize(g);
  }

  /** The parameters of a group, one JSON byte string each (cached). */
  private async groupParams(group: ITaskGroupDoc): Promise<Uint8Array[]> {
    const key = paramsKey(group);
    const hit = this.paramsCache.get(key);
    if (hit) return hit;
    let stored: Pick<ITaskGroupDoc, 'params' | 'params_sha256'> | null = group;
    if (!group.params && !group.params_sha256) {
      // Group reads leave the (possibly large) parameters out: fetch them now.
      stored = await this.conn.run((db) => this.groups(db).findOne({ _id: group._id }, { projection: { params: 1, params_sha256: 1 } }));
    }
    let packed: Uint8Array;
    if (stored?.params) packed = binaryBytes(stored.params);
    else if (stored?.params_sha256) packed = await this.blobs.get(stored.params_sha256);
    else throw new Error(`task group ${group._id} has no stored parameters`);
    const values = decodeJson(packed) as JsonValue[];
    const params = values.map((v, i) => encodeJson(v, `params[${i}]`));
    this.paramsCache.set(key, params);
    while (this.paramsCache.size > 2) this.paramsCache.delete(this.paramsCache.keys().next().value as string);
    return params;
  }

  private async groupTaskDocs(group: ITaskGroupDoc): Promise<ITaskDoc[]> {
    const salt = group.task_id_salt;
    if (!salt) throw new Error(`task group ${group._id} has no task id salt`);
    const params = await this.groupParams(group);
    return params.map((p, i) => taskDocOf({ ...group, task_id_salt: salt }, i, p));
  }

  /**
   * Create the document of task `name` from its group if the group has that task and is not
   * materialized yet. True when the caller should look for the document again (created now, or
   * by the group's materialization meanwhile); false when there is no such task.
   */
  private async materializeOne(name: string): Promise<boolean> {
    const parsed = parseTaskName(name);
    if (!parsed) return false;
    const group = await this.findGroup(parsed.job, parsed.task_group);
    if (!group || parsed.job_id >= group.count) return false;
    // Materialized since the caller looked: the document exists now, look again.
    if (group.materialized !== false || !group.task_id_salt) return true;
    const params = await this.groupParams(group);
    const doc = taskDocOf({ ...group, task_id_salt: group.task_id_salt }, parsed.job_id, params[parsed.job_id]);
    await this.conn.run((db) => this.tasks(db).insertOne(doc)).catch((err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
    });
    return true;
  }

  /** Remove a group and its tasks. */
  async deleteGroup(taskGroup: string): Promise<void> {
    await this.materializing.get(taskGroup)?.catch(() => undefined);
    await this.conn.run(async (db) => {
      await this.tasks(db).deleteMany({ task_group: taskGroup });
      await this.groups(db).deleteOne({ _id: taskGroup });
    });
    await this.dropIndex(taskGroup);
  }

  /** Whether any job already has a group with this id. */
  async groupIdTaken(taskGroup: string): Promise<boolean> {
    return (await this.conn.run((db) => this.groups(db).countDocuments({ _id: taskGroup }, { limit: 1 }))) > 0;
  }

  async findGroup(job: string, taskGroup: string): Promise<ITaskGroupDoc | null> {
    return this.conn.run((db) => this.groups(db).findOne({ _id: taskGroup, job }, { projection: NO_PARAMS }));
  }

  async latestGroup(job: string): Promise<ITaskGroupDoc | null> {
    return this.conn.run((db) => this.groups(db).find({ job }, { projection: NO_PARAMS }).sort({ seq: -1 }).limit(1).next());
  }

  /** Groups of a job, newest first. */
  async listGroups(job: string): Promise<ITaskGroupDoc[]> {
    return this.conn.run((db) => this.groups(db).find({ job }, { projection: NO_PARAMS }).sort({ seq: -1 }).toArray());
  }

  /** Task counts by group and queue state for a job: one aggregation. */
  async stateCounts(job: string): Promise<Map<string, Partial<Record<QueueState, number>>>> {
    await this.ensureMaterialized(job, '*');
    const rows = await this.conn.run((db) =>
      this.tasks(db)
        .aggregate<{ _id: { g: string; s: QueueState }; n: number }>([
          { $match: { job } },
          { $group: { _id: { g: '$task_group', s: '$state' }, n: { $sum: 1 } } }
        ])
        .toArray()
    );
    const out = new Map<string, Partial<Record<QueueState, number>>>();
    for (const r of rows) {
      const counts = out.get(r._id.g) ?? {};
      counts[r._id.s] = r.n;
      out.set(r._id.g, counts);
    }
    return out;
  }

  /** Tasks of one group (or of all groups with `'*'`) without param/result bytes, in map order. */
  async summaries(job: string, taskGroup: string): Promise<ITaskSummaryDoc[]> {
    await this.ensureMaterialized(job, taskGroup);
    return this.conn.run((db) => {
      const filter: Filter<ITaskDoc> = taskGroup === '*' ? { job } : { job, task_group: taskGroup };
      const sort = taskGroup === '*' ? { group_seq: 1, job_id: 1 } : { job_id: 1 };
      return this.tasks(db)
        .find(filter, { projection: { param: 0, result: 0 } })
        .sort(sort as Record<string, 1>)
        .toArray() as Promise<ITaskSummaryDoc[]>;
    });
  }

  /** Full tasks of one group (or `'*'`), in map order. */
  async list(job: string, taskGroup: string): Promise<ITask[]> {
    await this.ensureMaterialized(job, taskGroup);
    const docs = await this.conn.run((db) => {
      const filter: Filter<ITaskDoc> = taskGroup === '*' ? { job } : { job, task_group: taskGroup };
      const sort = taskGroup === '*' ? { group_seq: 1, job_id: 1 } : { job_id: 1 };
      return this.tasks(db).find(filter).sort(sort as Record<string, 1>).toArray();
    });
    return docs.map(toTask);
  }

  /** Task names (no `.ipynb`) starting with `prefix`, with their main notebook and times. */
  async listNames(prefixRe: RegExp): Promise<Pick<ITaskDoc, '_id' | 'main_sha256' | 'created' | 'updated'>[]> {
    await this.ensureAllMaterialized();
    return this.conn.run((db) =>
      this.tasks(db)
        .find({ _id: { $regex: prefixRe } }, { projection: { _id: 1, main_sha256: 1, created: 1, updated: 1 } })
        .sort({ _id: 1 })
        .toArray()
    );
  }

  /** A task by name (`.ipynb` optional). @throws NotFoundError */
  async get(taskName: string): Promise<ITask> {
    const name = stripIpynb(taskName);
    let doc = await this.conn.run((db) => this.tasks(db).findOne({ _id: name }));
    if (!doc && (await this.materializeOne(name))) doc = await this.conn.run((db) => this.tasks(db).findOne({ _id: name }));
    if (!doc) throw new NotFoundError(`task '${name}' does not exist; list a job's tasks with GET /api/jobs/<name>/status`);
    return toTask(doc);
  }

  /** Give tasks new Celery ids and attempts and set them PENDING again: one bulk write. */
  async restartTasks(restarts: ITaskRestart[]): Promise<void> {
    if (restarts.length === 0) return;
    const now = new Date().toISOString();
    await this.conn.run((db) =>
      this.tasks(db).bulkWrite(
        restarts.map((r) => ({
          updateOne: {
            filter: { _id: r.name },
            update: {
              $set: {
                task_id: r.task_id,
                attempt: r.attempt,
                state: 'PENDING' as QueueState,
                run_status: 'unknown' as const,
                worker: null,
                updated: now,
                ...(r.main_sha256 ? { main_sha256: r.main_sha256 } : {})
              },
              $inc: { rev: 1 }
            }
          }
        })),
        { ordered: false }
      )
    );
    for (const group of new Set(restarts.map((r) => r.task_group))) await this.dropIndex(group);
  }

  /**
   * Set the tasks of a group that are still queued or running to REVOKED. One filter on the
   * indexed group, not an `$in` of task names: FerretDB v1 evaluates a 10,000-name `$in` per
   * document and held SQLite's lock for minutes.
   */
  async revokeGroup(job: string, taskGroup: string): Promise<number> {
    await this.ensureMaterialized(job, taskGroup);
    const res = await this.conn.run((db) =>
      this.tasks(db).updateMany(
        { job, task_group: taskGroup, state: { $in: ACTIVE_STATES } },
        { $set: { state: 'REVOKED', updated: new Date().toISOString() }, $inc: { rev: 1 } }
      )
    );
    await this.dropIndex(taskGroup);
    return res.modifiedCount;
  }

  private async mainBytes(sha: string): Promise<Buffer> {
    const hit = this.mainCache.get(sha);
    if (hit) return hit;
    const bytes = await this.blobs.get(sha);
    this.mainCache.set(sha, bytes);
    while (this.mainCache.size > this.cacheSize) this.mainCache.delete(this.mainCache.keys().next().value as string);
    return bytes;
  }

  /**
   * The task notebook of `taskName` (`.ipynb` optional): its main notebook with the
   * `injected-parameters` cell, rendered now, and the task.
   * @throws NotFoundError when the task does not exist
   */
  async renderTask(taskName: string): Promise<{ notebook: Record<string, unknown>; task: ITask }> {
    const task = await this.get(taskName);
    const main = decodeJson(await this.mainBytes(task.main_sha256));
    const notebook = renderTaskNotebook(main, {
      param: task.param,
      job_id: task.job_id,
      task_group: task.task_group,
      task_name: task.name
    });
    return { notebook, task };
  }

  /**
   * A worker started `taskId`. Ignored (returns null) when the task has another current id, or
   * already finished or was revoked: the caller should then not run it.
   */
  async markStarted(taskName: string, taskId: string, worker: string): Promise<ITask | null> {
    return this.update(
      { _id: stripIpynb(taskName), task_id: taskId, state: { $in: ACTIVE_STATES } },
      { $set: { state: 'STARTED', worker, updated: new Date().toISOString() } }
    );
  }

  /** Set the queue state of the current attempt `taskId`; null when `taskId` is not current. */
  async markState(taskName: string, taskId: string, state: QueueState): Promise<ITask | null> {
    return this.update({ _id: stripIpynb(taskName), task_id: taskId }, { $set: { state, updated: new Date().toISOString() } });
  }

  /**
   * Record one run: store the result notebook (when given), append `run` to `job_runs`, and — when
   * `run.task_id` is the task's current id — set state SUCCESS/FAILURE, run_status OK/ERROR and,
   * on OK, the returned value. Recording the same `task_id` + `attempt` again (a redelivered
   * message) changes nothing. Returns the updated task when this call changed its state, else null.
   */
  async recordRun(
    task: string | ITaskRef,
    run: IJobRun,
    resultNotebook: unknown | null,
    resultValue: JsonValue | undefined
  ): Promise<ITask | null> {
    const name = stripIpynb(typeof task === 'string' ? task : task.name);
    let recorded = run;
    if (resultNotebook !== null && resultNotebook !== undefined) {
      const resName = run.results ?? resultName(name, run.ts);
      // the caller usually holds the task already: its job and group never change
      const ref = typeof task === 'string' ? await this.get(name) : task;
      await this.notebooks.putResult(
        { _id: resName, task_name: name, job: ref.job, task_group: ref.task_group, job_id: ref.job_id, task_id: run.task_id },
        resultNotebook
      );
      recorded = { ...run, results: resName };
    }
    const key = `${run.task_id}:${run.attempt}`;
    const ok = run.status === 'OK';
    const push = { job_runs: recorded, run_keys: key };
    const update: UpdateFilter<ITaskDoc> = {
      $set: {
        state: ok ? 'SUCCESS' : 'FAILURE',
        run_status: ok ? 'OK' : 'ERROR',
        worker: run.worker,
        updated: new Date().toISOString(),
        ...(ok && resultValue !== undefined ? { result: new Binary(encodeJson(resultValue, 'result')) } : {})
      },
      $push: push
    };
    if (ok && resultValue === undefined) update.$unset = { result: '' };
    // Only a run of the current task id that is still queued or running moves the state: after
    // SUCCESS/FAILURE/REVOKED, later runs of the same id (redeliveries) go to the history only,
    // so a task id never gets two OK runs.
    const current = await this.update(
      { _id: name, task_id: run.task_id, state: { $in: ACTIVE_STATES }, run_keys: { $ne: key } },
      update
    );
    if (current) return current;
    // Not the current attempt (restarted, revoked or finished since — e.g. a second delivery of
    // the same message that ran alongside the first): keep the run in the history only, and never
    // as a second OK: the task's outcome was already decided without it.
    const late: IJobRun = ok
      ? {
          ...recorded,
          status: 'ERROR',
          message: `not counted: the task was no longer waiting for this run when it finished (it was restarted, revoked or already finished); result notebook ${recorded.results ?? 'not stored'}`
        }
      : recorded;
    await this.update({ _id: name, run_keys: { $ne: key } }, { $push: { job_runs: late, run_keys: key } });
    return null;
  }

  /**
   * Append a run that was lost (its worker died mid-run and the message was redelivered) to the
   * history without touching the state. Recording the same task id + attempt twice adds it once.
   */
  async recordLostAttempt(taskName: string, run: IJobRun): Promise<void> {
    const key = `lost:${run.task_id}:${run.attempt}`;
    await this.update(
      { _id: stripIpynb(taskName), run_keys: { $ne: key } },
      { $push: { job_runs: run, run_keys: key }, $set: { updated: new Date().toISOString() } }
    );
  }

  /** One conditional update of one task: its revision goes up and its index row follows. */
  private async update(filter: Filter<ITaskDoc>, update: UpdateFilter<ITaskDoc>): Promise<ITask | null> {
    const withRev = { ...update, $inc: { ...(update.$inc ?? {}), rev: 1 } } as UpdateFilter<ITaskDoc>;
    const attempt = () => this.conn.run((db) => this.tasks(db).findOneAndUpdate(filter, withRev, { returnDocument: 'after' }));
    let doc = await attempt();
    // A task of a map whose documents are still being written: create it, then try again.
    if (!doc && typeof filter._id === 'string' && (await this.materializeOne(filter._id))) doc = await attempt();
    if (!doc) return null;
    await this.indexDoc(doc);
    return toTask(doc);
  }

  /** The stored returned value of a task document, if any. */
  static resultOf(doc: Pick<ITaskDoc, 'result'>): JsonValue | undefined {
    return doc.result ? (decodeJson(binaryBytes(doc.result)) as JsonValue) : undefined;
  }
}

function randomSalt(): string {
  return randomBytes(16).toString('hex');
}

/** An unordered insert where some documents already existed: that part is fine. */
function ignoreDuplicates(err: unknown): void {
  if (err instanceof MongoBulkWriteError) {
    const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    if (errors.length > 0 && errors.every((e) => e.code === 11000)) return;
  }
  if (isDuplicateKey(err)) return;
  throw err;
}

/** Cache key of a group's parameters: a group id can be reused after its group was deleted. */
function paramsKey(group: ITaskGroupDoc): string {
  return `${group._id}:${group.task_id_salt ?? ''}`;
}
