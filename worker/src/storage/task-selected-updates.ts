/**
 * Restart and cancel of named tasks (`job.restart(tasks=[...])`, a row's button in the panel):
 * a few tasks, each written like a worker writes it (`task-runs.ts`): under the task's lock, read
 * by `_id`, decided on what was read, written by `_id`, its status row put in the index (a group's
 * index stays; the bulk updates of whole groups drop it). The attempts' active entries follow the
 * order of active-tasks.ts: a new attempt's entry before the write, an ended one's after it.
 */
import { randomUUID } from 'node:crypto';
import type { Db, UpdateFilter } from 'mongodb';
import { NotFoundError } from '../domain/errors';
import type { IGroupRestart, INamedRestartOptions } from '../domain/task-repository';
import { ACTIVE_STATES, type ITaskSummary } from '../domain/task-state';
import type { QueueState } from '../domain/types';
import { activityChange, type ActiveTasks } from './active-tasks';
import { Collections } from './collections';
import { toTaskSummary, type ITaskDoc, type ITaskSummaryDoc } from './documents';
import type { IndexedStatus } from './indexed-status';
import type { MongoConnection } from './mongo-connection';
import type { TaskGroups } from './task-groups';
import { TaskLocks } from './task-locks';

export class TaskSelectedUpdates {
  private readonly locks: TaskLocks;

  constructor(
    private readonly conn: MongoConnection,
    private readonly groups: TaskGroups,
    private readonly status: IndexedStatus,
    private readonly active: ActiveTasks
  ) {
    this.locks = new TaskLocks(conn);
  }

  private tasks(db: Db) {
    return db.collection<ITaskDoc>(Collections.tasks);
  }

  private async read(name: string): Promise<ITaskSummaryDoc | null> {
    return this.conn.run((db) => this.tasks(db).findOne({ _id: name }, { projection: { param: 0, result: 0 } }) as Promise<ITaskSummaryDoc | null>);
  }

  /**
   * Under `name`'s lock: read it, `decide`, write by `_id`, put its row in the index. Returns the
   * task as read and as written, or null when `decide` left it.
   */
  private async write(name: string, decide: (doc: ITaskSummaryDoc) => UpdateFilter<ITaskDoc> | null): Promise<{ before: ITaskSummaryDoc; after: ITaskSummaryDoc } | null> {
    const written = await this.locks.with(name, async () => {
      const before = await this.read(name);
      const update = before ? decide(before) : null;
      if (!before || !update) return null;
      const withRev = { ...update, $inc: { ...(update.$inc ?? {}), rev: 1 } } as UpdateFilter<ITaskDoc>;
      const change = activityChange(before, update.$set as Record<string, unknown> | undefined);
      if (change.add) await this.active.add([change.add]);
      const after = await this.conn.run((db) =>
        this.tasks(db).findOneAndUpdate({ _id: name }, withRev, { returnDocument: 'after' })
      );
      if (after && change.remove) await this.active.remove([change.remove]);
      return after ? { before, after: after as ITaskSummaryDoc } : null;
    });
    if (written) await this.status.put(written.after);
    return written;
  }

  /**
   * The tasks `names` of group `taskGroup` of `job`, in the order given (created from the group
   * first if its task documents are not written yet).
   * @throws NotFoundError naming a task the group does not have
   */
  async summaries(job: string, taskGroup: string, names: string[]): Promise<ITaskSummary[]> {
    await this.groups.ensureMaterialized(job, taskGroup);
    const out: ITaskSummary[] = [];
    for (const name of names) {
      const doc = await this.read(name);
      if (!doc || doc.job !== job || doc.task_group !== taskGroup) {
        throw new NotFoundError(`task '${name}' does not exist in task group ${taskGroup} of '${job}'; job.list() (nbgrid status ${job}) names its tasks`);
      }
      out.push(toTaskSummary(doc));
    }
    return out;
  }

  /**
   * Run the tasks `names` again whatever their state: each gets a new Celery id and the next
   * attempt and is PENDING again (with `expected_task_ids`: only if it still has the id given).
   * Returns each written, as it was before, with its new id.
   */
  async restart(job: string, taskGroup: string, names: string[], options: INamedRestartOptions = {}): Promise<IGroupRestart[]> {
    await this.summaries(job, taskGroup, names);
    const out: IGroupRestart[] = [];
    for (const name of names) {
      const next = { task_id: randomUUID(), attempt: 0 };
      const written = await this.write(name, (doc) => {
        const expected = options.expected_task_ids?.get(name);
        if (expected !== undefined && doc.task_id !== expected) return null;
        next.attempt = doc.attempt + 1;
        return {
          $set: {
            ...next,
            state: 'PENDING' as QueueState,
            run_status: 'unknown' as const,
            worker: null,
            updated: new Date().toISOString(),
            ...(options.main_sha256 ? { main_sha256: options.main_sha256 } : {})
          }
        };
      });
      if (written) out.push({ ...next, prev: toTaskSummary(written.before) });
    }
    return out;
  }

  /** Set those of the tasks `names` that are queued or running to REVOKED; returns them as they were before. */
  async revoke(job: string, taskGroup: string, names: string[]): Promise<ITaskSummary[]> {
    await this.summaries(job, taskGroup, names);
    const out: ITaskSummary[] = [];
    for (const name of names) {
      const written = await this.write(name, (doc) =>
        ACTIVE_STATES.includes(doc.state) ? { $set: { state: 'REVOKED' as QueueState, updated: new Date().toISOString() } } : null
      );
      if (written) out.push(toTaskSummary(written.before));
    }
    return out;
  }
}
