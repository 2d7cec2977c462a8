/**
 * Finding and repairing tasks that stay queued or running (the reconciler's storage port). A page
 * is read from the active entries (`active-tasks.ts`), each task by `_id`: O(page) however many
 * tasks are stored. Entries found stale on the way (their attempt ended, their task is gone) are
 * deleted. A reduce task whose round is not marked queued is left to the reduce reconciler.
 */
import type { Db } from 'mongodb';
import { roundId, type IReduceRound } from '../domain/reduce';
import type { IStuckTaskRef } from '../domain/run-recorder';
import type { IStuckTaskPage, IStuckTaskStore } from '../domain/stuck-tasks';
import { ACTIVE_STATES, type ITaskSummary } from '../domain/task-state';
import type { IJobRun, ITask } from '../domain/types';
import type { ActiveTasks } from './active-tasks';
import { Collections } from './collections';
import { toTaskSummary, type ITaskDoc, type ITaskSummaryDoc } from './documents';
import type { MongoConnection } from './mongo-connection';
import type { TaskGroups } from './task-groups';
import type { TaskRuns } from './task-runs';

/** Reads by `_id` in flight at once. */
const PARALLEL_READS = 25;

export class StuckTasks implements IStuckTaskStore {
  constructor(
    private readonly conn: MongoConnection,
    private readonly runs: TaskRuns,
    private readonly active: ActiveTasks,
    private readonly groups: TaskGroups
  ) {}

  private tasks(db: Db) {
    return db.collection<ITaskDoc>(Collections.tasks);
  }

  async unchangedSince(before: string, limit: number, after?: string): Promise<IStuckTaskPage> {
    const entries = await this.active.page(limit, after);
    // An attempt active since `before` or later changed since then: its task is not read.
    const cutoff = Date.parse(before);
    const old = entries.filter((e) => e.at.getTime() < cutoff);
    const names = [...new Set(old.map((e) => e.task))];
    const docs = new Map<string, ITaskSummaryDoc>();
    for (let i = 0; i < names.length; i += PARALLEL_READS) {
      const found = await Promise.all(names.slice(i, i + PARALLEL_READS).map((name) => this.read(name)));
      for (const d of found) if (d) docs.set(d._id, d);
    }
    const stale: string[] = [];
    const tasks: ITaskSummary[] = [];
    for (const entry of old) {
      const doc = docs.get(entry.task);
      if (!doc) {
        // Not written (the API died between a map's entries and its documents: created now from
        // the group), or its group was deleted.
        if (!(await this.groups.materializeOne(entry.task))) stale.push(entry._id);
        continue;
      }
      if (doc.task_id !== entry._id || !ACTIVE_STATES.includes(doc.state)) {
        // That attempt ended (or was replaced by a restart) and never becomes active again.
        stale.push(entry._id);
        continue;
      }
      if (doc.updated < before && !(await this.leftToReduce(doc))) tasks.push(toTaskSummary(doc));
    }
    await this.active.remove(stale);
    return { tasks, ...(entries.length === limit ? { next: entries[entries.length - 1]._id } : {}) };
  }

  /**
   * Whether `doc` is a reduce task whose round is not marked queued yet: its message may never
   * have been published (the round's claimer died), and publishing it once is the reduce
   * reconciler's (`reduce/reduce-reconciler.ts`), whichever of the two runs first. Repairing it
   * as lost here would end the round's reduce unrun.
   */
  private async leftToReduce(doc: ITaskSummaryDoc): Promise<boolean> {
    const of = doc.reduce_of;
    if (!of || doc.state !== 'PENDING' || (doc.runs_total ?? 0) > 0) return false;
    const round = await this.conn.run((db) =>
      db.collection<Pick<IReduceRound, '_id' | 'queued' | 'task_id'>>(Collections.reduceRounds).findOne({ _id: roundId(of.task_group, of.round) }, { projection: { queued: 1, task_id: 1 } })
    );
    return !round || (round.queued !== true && round.task_id === doc.task_id);
  }

  private read(name: string): Promise<ITaskSummaryDoc | null> {
    return this.conn.run((db) => this.tasks(db).findOne({ _id: name }, { projection: { param: 0, result: 0 } }) as Promise<ITaskSummaryDoc | null>);
  }

  failStuck(task: IStuckTaskRef, run: IJobRun, resultNotebook?: unknown): Promise<ITask | null> {
    return this.runs.failStuck(task, run, resultNotebook);
  }
}
