/**
 * Deletes task groups with everything that hangs off them: task documents (with their run
 * history and returned values), result notebook records, the group document, its status index
 * rows. Their blobs (result notebooks, parameter arrays, a main notebook no one else uses) are
 * left to the blob collector, which removes them once nothing references them.
 *
 * A group with queued or running tasks is never deleted: a worker may still record a run into
 * it. The caller learns why it was kept (cancel it first).
 */
import { BSON, type Db, type Filter } from 'mongodb';
import { isActiveState } from '../domain/queue-states';
import { Collections } from '../storage/collections';
import type { IResultDoc, ITaskDoc, ITaskGroupDoc } from '../storage/documents';
import type { MongoConnection } from '../storage/mongo-connection';

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

export class GroupCleaner {
  constructor(
    private readonly conn: MongoConnection,
    /** Removes a group's tasks, its document and its status index rows (`TaskRepository.deleteGroup`). */
    private readonly dropGroup: (taskGroup: string) => Promise<void>
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

  /** Delete a measured group (results first, the group document last: a retry finds what is left). */
  async delete(taskGroup: string): Promise<void> {
    await this.conn.run((db) => db.collection<IResultDoc>(Collections.results).deleteMany({ task_group: taskGroup }));
    await this.dropGroup(taskGroup);
  }
}

function groupsOf(db: Db) {
  return db.collection<ITaskGroupDoc>(Collections.taskGroups);
}
