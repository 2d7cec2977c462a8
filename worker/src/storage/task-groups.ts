/**
 * Task groups and the lazy materialization of their tasks. A map is stored as one group document
 * holding every parameter; its task documents are written after the tasks are queued, and until
 * they all exist, reading a task creates it from the group and group-wide reads wait for all of
 * them. Every write is a single-document or unordered bulk write: FerretDB v1 has no transactions.
 */
import { randomBytes } from 'node:crypto';
import { Binary, type Db, type Filter } from 'mongodb';
import { jsonArrayElements } from '../domain/json-spans';
import { ACTIVE_STATES } from '../domain/task-state';
import { parseTaskName } from '../notebooks/task-names';
import { ignoreDuplicates, isDuplicateKey, type BlobStore } from './blob-store';
import { entryOf, type ActiveTasks } from './active-tasks';
import { Collections } from './collections';
import { INLINE_PARAMS_LIMIT, binaryBytes, taskDocOf, type ITaskDoc, type ITaskGroupDoc } from './documents';
import type { IndexedStatus } from './indexed-status';
import { applyCached, isCachedTask, unpackCachedResults, type CachedResults, type IPackedCached } from './cached-tasks';
import type { MongoConnection } from './mongo-connection';

/** Group reads without the parameters (up to INLINE_PARAMS_LIMIT bytes). */
const NO_PARAMS = { params: 0 } as const;

/** Task documents per insertMany while materializing. */
const INSERT_CHUNK = 5000;

export class TaskGroups {
  /** Groups whose task documents this process is creating, by group id. */
  private readonly materializing = new Map<string, Promise<void>>();
  /** Recently read groups' parameters (JSON bytes each), by group id and salt. */
  private readonly paramsCache = new Map<string, Uint8Array[]>();
  /** Recently read values of groups' cached tasks (blob `cached_results_sha256`), by the blob's sha256. */
  private readonly cachedResultsCache = new Map<string, CachedResults>();

  constructor(
    private readonly conn: MongoConnection,
    private readonly blobs: BlobStore,
    private readonly status: IndexedStatus,
    private readonly active: ActiveTasks
  ) {}

  private tasks(db: Db) {
    return db.collection<ITaskDoc>(Collections.tasks);
  }

  private groups(db: Db) {
    return db.collection<ITaskGroupDoc>(Collections.taskGroups);
  }

  /**
   * Store a map in O(1) writes however many tasks it has: the group document holding every
   * parameter as one JSON array (a blob when over INLINE_PARAMS_LIMIT), marked not yet
   * materialized, then the group's status rows in the index. Returns the task documents, which
   * do not exist yet: call `materialize` once the tasks are queued.
   * @param params each parameter's JSON bytes, in map order
   * @param cachedResults the returned values of the group's cached tasks when they go to a blob (see `packCached`)
   */
  async createMap(group: ITaskGroupDoc, params: Uint8Array[], cachedResults?: IPackedCached['results']): Promise<ITaskDoc[]> {
    const parts: Buffer[] = [Buffer.from('[')];
    params.forEach((p, i) => parts.push(...(i > 0 ? [Buffer.from(','), Buffer.from(p)] : [Buffer.from(p)])));
    parts.push(Buffer.from(']'));
    const withParams = { ...group, task_id_salt: group.task_id_salt ?? randomSalt(), materialized: false };
    const packed = Buffer.concat(parts);
    let docs: ITaskDoc[] = [];
    try {
      // The values' blob before the group that references it (a new blob is young: the clean-up keeps it).
      if (cachedResults) withParams.cached_results_sha256 = (await this.blobs.put(cachedResults.blob)).sha256;
      docs = applyCached(withParams, params.map((p, i) => taskDocOf(withParams, i, p)), cachedResults?.values);
      if (packed.byteLength <= INLINE_PARAMS_LIMIT) withParams.params = new Binary(packed);
      else withParams.params_sha256 = (await this.blobs.put(packed)).sha256;
      // The group is a new reference to the main notebook's blob: refresh it before writing the
      // reference, so a concurrent garbage collection keeps it (retention/blob-collector.ts).
      await this.blobs.touch(group.main_sha256);
      await this.conn.run((db) => this.groups(db).insertOne(withParams));
    } catch (err) {
      // A duplicate `_id` is another map's group (a schedule's fixed id): never delete that one.
      if (!isDuplicateKey(err)) await this.deleteGroup(group._id).catch(() => undefined);
      throw err;
    }
    this.paramsCache.set(paramsKey(withParams), params);
    if (cachedResults && withParams.cached_results_sha256) this.rememberCachedResults(withParams.cached_results_sha256, cachedResults.values);
    await this.status.build(group._id, docs);
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
      for (let i = 0; i < all.length; i += INSERT_CHUNK) {
        const chunk = all.slice(i, i + INSERT_CHUNK);
        // The active entries first: a task is never queued without one (active-tasks.ts).
        await this.active.add(chunk.filter((d) => ACTIVE_STATES.includes(d.state)).map(entryOf));
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
    if (taskGroup !== '*') {
      // By `_id` alone (pushed down by FerretDB), job and state checked here.
      const group = await this.findGroup(job, taskGroup);
      if (group && group.materialized === false) await this.materialize(group);
      return;
    }
    const filter: Filter<ITaskGroupDoc> = { job, materialized: false };
    const pending = await this.conn.run((db) => this.groups(db).find(filter, { projection: NO_PARAMS }).toArray());
    for (const g of pending) await this.materialize(g);
  }

  /** Wait for every group of any job that is not materialized yet (for listings by name). */
  async ensureAllMaterialized(): Promise<void> {
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
    // Split the stored array as text: parsing and serializing again would change numbers and key order.
    const params = jsonArrayElements(Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength).toString('utf8')).map((t) => Buffer.from(t, 'utf8'));
    this.paramsCache.set(key, params);
    while (this.paramsCache.size > 2) this.paramsCache.delete(this.paramsCache.keys().next().value as string);
    return params;
  }

  private rememberCachedResults(sha: string, values: CachedResults): void {
    this.cachedResultsCache.set(sha, values);
    while (this.cachedResultsCache.size > 2) this.cachedResultsCache.delete(this.cachedResultsCache.keys().next().value as string);
  }

  /** The values of a group's cached tasks when they are in a blob (cached), else undefined. */
  private async cachedResults(group: ITaskGroupDoc): Promise<CachedResults | undefined> {
    const sha = group.cached_results_sha256;
    if (!sha) return undefined;
    const hit = this.cachedResultsCache.get(sha);
    if (hit) return hit;
    const values = unpackCachedResults(await this.blobs.get(sha));
    this.rememberCachedResults(sha, values);
    return values;
  }

  private async groupTaskDocs(group: ITaskGroupDoc): Promise<ITaskDoc[]> {
    const salt = group.task_id_salt;
    if (!salt) throw new Error(`task group ${group._id} has no task id salt`);
    const params = await this.groupParams(group);
    return applyCached(group, params.map((p, i) => taskDocOf({ ...group, task_id_salt: salt }, i, p)), await this.cachedResults(group));
  }

  /**
   * Create the document of task `name` from its group if the group has that task and is not
   * materialized yet. True when the caller should look for the document again (created now, or
   * by the group's materialization meanwhile); false when there is no such task.
   */
  async materializeOne(name: string): Promise<boolean> {
    const parsed = parseTaskName(name);
    if (!parsed) return false;
    const group = await this.findGroup(parsed.job, parsed.task_group);
    if (!group || parsed.job_id >= group.count) return false;
    // Materialized since the caller looked: the document exists now, look again.
    if (group.materialized !== false || !group.task_id_salt) return true;
    const params = await this.groupParams(group);
    // The values' blob only for a cached task (a worker creating a queued task does not need it).
    const values = isCachedTask(group, parsed.job_id) ? await this.cachedResults(group) : undefined;
    const [doc] = applyCached(group, [taskDocOf({ ...group, task_id_salt: group.task_id_salt }, parsed.job_id, params[parsed.job_id])], values);
    if (ACTIVE_STATES.includes(doc.state)) await this.active.add([entryOf(doc)]);
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
    await this.active.removeGroup(taskGroup);
    await this.status.drop(taskGroup);
  }

  /** Whether any job already has a group with this id. */
  async groupIdTaken(taskGroup: string): Promise<boolean> {
    // findOne by `_id`, not countDocuments: an aggregation, which FerretDB does not push down.
    return (await this.conn.run((db) => this.groups(db).findOne({ _id: taskGroup }, { projection: { _id: 1 } }))) !== null;
  }

  /** A group of `job` without its parameters, or null. */
  async findGroup(job: string, taskGroup: string): Promise<ITaskGroupDoc | null> {
    // By `_id` alone, the job checked here: FerretDB v1 on SQLite pushes only `{_id}` down to SQL.
    const group = await this.conn.run((db) => this.groups(db).findOne({ _id: taskGroup }, { projection: NO_PARAMS }));
    return group && group.job === job ? group : null;
  }

  /** The job's newest group without its parameters, or null. */
  async latestGroup(job: string): Promise<ITaskGroupDoc | null> {
    return this.conn.run((db) => this.groups(db).find({ job }, { projection: NO_PARAMS }).sort({ seq: -1 }).limit(1).next());
  }

  /**
   * Each parameter's JSON bytes of a group of `job`, in map order (cached), or null when there is
   * no such group or it keeps no parameter array (maps stored before it did).
   */
  async paramsOf(job: string, taskGroup: string): Promise<Uint8Array[] | null> {
    const group = await this.findGroup(job, taskGroup);
    if (!group) return null;
    try {
      return await this.groupParams(group);
    } catch {
      return null;
    }
  }

  /** Groups of a job, newest first, without their parameters. */
  async listGroups(job: string): Promise<ITaskGroupDoc[]> {
    return this.conn.run((db) => this.groups(db).find({ job }, { projection: NO_PARAMS }).sort({ seq: -1 }).toArray());
  }
}

function randomSalt(): string {
  return randomBytes(16).toString('hex');
}

/** Cache key of a group's parameters: a group id can be reused after its group was deleted. */
function paramsKey(group: ITaskGroupDoc): string {
  return `${group._id}:${group.task_id_salt ?? ''}`;
}
