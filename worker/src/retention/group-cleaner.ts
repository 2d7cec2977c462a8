/**
 * Deletes task groups with everything that hangs off them: task documents (with their run
 * history and returned values), result notebook records, the group document, its status index
 * rows. Their blobs (result notebooks, parameter arrays, a main notebook no one else uses) are
 * left to the blob collector, which removes them once nothing references them.
 *
 * A group with queued or running tasks is never deleted: a worker may still record a run into
 * it. The caller learns why it was kept (cancel it first).
 *
 * What the cache and the reduce step hang off a group goes with it: the cache entries whose run
 * is one of its tasks (a later `map(cache=True)` runs those inputs again), its reduce spec and
 * rounds (so no reconciler makes a round for it again). Its result documents that a surviving
 * group's cached tasks reuse are kept (see `cached-references.ts`), and go with the last such group.
 */
import { BSON, type Db, type Filter } from 'mongodb';
import { isActiveState } from '../domain/queue-states';
import { Collections } from '../storage/collections';
import { cachedResultNames } from '../storage/cached-tasks';
import type { IResultDoc, ITaskDoc, ITaskGroupDoc } from '../storage/documents';
import type { MongoConnection } from '../storage/mongo-connection';
import { cachedResults } from './cached-references';

/** Which groups: every given selector must hold. */
export interface IGroupSelector {
  job?: string;
  task_group?: string;
  /** Created before this ISO time. */
  created_before?: string;
  /** Every task in one of these states. */
  states?: readonly string[];
  schedule?: string;
}

/** A group found and measured. */
export interface IMeasuredGroup {
  task_group: string;
  job: string;
  created: string;
  tasks: number;
  results: number;
  bytes: number;
  /** Why it must not be deleted now, or null. */
  blocked: string | null;
  /** Every task's state is in the selector's states (true without `states`). */
  matches: boolean;
}

/** What deleting a group did besides removing it. */
export interface IDeletedGroup {
  /** Its result documents kept because cached tasks of other groups reuse them. */
  keptResults: number;
  /** Cache entries removed (their run was one of its tasks). */
  cacheEntries: number;
}

export class GroupCleaner {
  constructor(
    private readonly conn: MongoConnection,
    /** Removes a group's tasks, its document and its status index rows (`TaskRepository.deleteGroup`). */
    private readonly dropGroup: (taskGroup: string) => Promise<void>,
    /** Removes the cache entries whose run is a task of the group (`TaskCache.forgetGroup`); returns how many. */
    private readonly forgetCached: (job: string, taskGroup: string) => Promise<number> = async () => 0
  ) {}

  /** The groups the selector names, measured, oldest first. */
  async select(selector: IGroupSelector): Promise<IMeasuredGroup[]> {
    const filter: Filter<ITaskGroupDoc> = {};
    if (selector.task_group !== undefined) filter._id = selector.task_group;
    if (selector.job !== undefined) filter.job = selector.job;
    if (selector.schedule !== undefined) filter.schedule = selector.schedule;
    if (selector.created_before !== undefined) filter.created = { $lt: selector.created_before };
    const groups = await this.conn.run((db) => groupsOf(db).find(filter).toArray());
    groups.sort((a, b) => a.seq - b.seq);
    const out: IMeasuredGroup[] = [];
    for (const g of groups) out.push(await this.measure(g, selector.states));
    return out;
  }

  /** Task and result documents of a group, their states and bytes. */
  private async measure(group: ITaskGroupDoc, states?: readonly string[]): Promise<IMeasuredGroup> {
    return this.conn.run(async (db) => {
      let bytes = BSON.calculateObjectSize(group);
      let tasks = 0;
      let active = 0;
      let matches = true;
      for await (const t of db.collection<ITaskDoc>(Collections.tasks).find({ task_group: group._id })) {
        tasks++;
        bytes += BSON.calculateObjectSize(t);
        if (isActiveState(t.state)) active++;
        if (states && !states.includes(t.state)) matches = false;
      }
      let results = 0;
      for await (const r of db.collection<IResultDoc>(Collections.results).find({ task_group: group._id })) {
        results++;
        bytes += BSON.calculateObjectSize(r);
      }
      // Tasks not written yet are queued ones (a map being stored, or created on first read).
      const unwritten = Math.max(0, group.count - tasks);
      if (unwritten > 0 && states && !states.includes('PENDING')) matches = false;
      const queued = active + unwritten;
      const blocked = queued > 0 ? `${queued} of its ${group.count} tasks are queued or running: cancel the group first (job.cancel(task_group='${group._id}'))` : null;
      return { task_group: group._id, job: group.job, created: group.created, tasks: group.count, results, bytes, blocked, matches };
    });
  }

  /** The one-task groups that ran the reduce rounds of `taskGroup`. */
  async reduceGroups(taskGroup: string): Promise<string[]> {
    const rounds = await this.conn.run((db) => db.collection<{ _id: string; reduce_group?: string | null }>(Collections.reduceRounds).find(roundRange(taskGroup)).toArray());
    return [...new Set(rounds.map((r) => r.reduce_group).filter((g): g is string => typeof g === 'string'))];
  }

  /** Delete a measured group (the group document last: a retry finds what is left). */
  async delete(taskGroup: string): Promise<IDeletedGroup> {
    const group = await this.conn.run((db) => groupsOf(db).findOne({ _id: taskGroup }, { projection: { job: 1, cached_tasks: 1 } }));
    // Its reduce step first: from here on no round can be claimed for it.
    await this.conn.run(async (db) => {
      await db.collection<{ _id: string }>(Collections.reduceSpecs).deleteOne({ _id: taskGroup });
      await db.collection<{ _id: string }>(Collections.reduceRounds).deleteMany(roundRange(taskGroup));
      await db.collection<{ _id: string }>(Collections.reduceRounds).deleteMany(roundRange(taskGroup, 'republish:'));
    });
    // The cache entries before the result documents: a map looking up the cache from here on
    // does not find this group's runs, so it cannot make a cached task of a result deleted below
    // (one that looked them up before reads its hits again once its group is stored: cache/stale-hits.ts).
    const cacheEntries = group ? await this.forgetCached(group.job, taskGroup) : 0;
    const keptResults = await this.conn.run(async (db) => {
      const reused = await cachedResults(db, [taskGroup]);
      const ours = await db.collection<IResultDoc>(Collections.results).find({ task_group: taskGroup }, { projection: { _id: 1 } }).toArray();
      const kept = ours.map((r) => r._id).filter((id) => reused.has(id));
      await db.collection<IResultDoc>(Collections.results).deleteMany(kept.length > 0 ? { task_group: taskGroup, _id: { $nin: kept } } : { task_group: taskGroup });
      return kept.length;
    });
    await this.dropGroup(taskGroup);
    if (group?.cached_tasks) await this.dropUnused(cachedResultNames(group.cached_tasks));
    return { keptResults, cacheEntries };
  }

  /** Result documents of deleted groups that were kept for the cached tasks of a group now gone, and no other group reuses. */
  private async dropUnused(names: string[]): Promise<void> {
    if (names.length === 0) return;
    await this.conn.run(async (db) => {
      const reused = await cachedResults(db);
      const unused = [...new Set(names)].filter((n) => !reused.has(n));
      for (let i = 0; i < unused.length; i += 1000) {
        const docs = await db.collection<IResultDoc>(Collections.results).find({ _id: { $in: unused.slice(i, i + 1000) } }, { projection: { _id: 1, task_group: 1 } }).toArray();
        for (const d of docs) {
          if (await groupsOf(db).findOne({ _id: d.task_group }, { projection: { _id: 1 } })) continue; // its own group lives
          await db.collection<IResultDoc>(Collections.results).deleteOne({ _id: d._id, task_group: d.task_group });
        }
      }
    });
  }
}

/** `_id` range of a group's reduce round documents (`<group>:reduce:<round>`), or of markers with a prefix. */
function roundRange(taskGroup: string, prefix = ''): Filter<{ _id: string }> {
  return { _id: { $gte: `${prefix}${taskGroup}:reduce:`, $lt: `${prefix}${taskGroup}:reduce;` } };
}

function groupsOf(db: Db) {
  return db.collection<ITaskGroupDoc>(Collections.taskGroups);
}
