/**
 * Updates of many tasks at once (restart, cancel): one bulk write or one filtered update each.
 * They return no documents, so the group's status index is dropped and rebuilt on the next read.
 */
import type { Db } from 'mongodb';
import type { ITaskRestart } from '../domain/task-repository';
import { ACTIVE_STATES } from '../domain/task-state';
import type { QueueState } from '../domain/types';
import { Collections } from './collections';
import type { ITaskDoc } from './documents';
import type { IndexedStatus } from './indexed-status';
import type { MongoConnection } from './mongo-connection';
import type { TaskGroups } from './task-groups';

/**
 * Statements per bulk write. FerretDB v1 (SQLite) keeps one pooled SQLite connection per statement
 * of an `update` command until the command ends, out of 100: a command of 100 statements or more
 * waits forever for a connection, holding its locks, and every later command hangs behind it
 * (seen in `make soak`; `scripts/soak/repro-ferretdb-bulk-update.ts` shows 99 passing, 100 hanging).
 * Concurrent commands share the pool, so batches stay well below it.
 */
export const BULK_WRITE_BATCH = 20;

export class TaskBulkUpdates {
  constructor(
    private readonly conn: MongoConnection,
    private readonly groups: TaskGroups,
    private readonly status: IndexedStatus
  ) {}

  private tasks(db: Db) {
    return db.collection<ITaskDoc>(Collections.tasks);
  }

  /** Give tasks new Celery ids and attempts and set them PENDING again: bulk writes of {@link BULK_WRITE_BATCH}. */
  async restartTasks(restarts: ITaskRestart[]): Promise<void> {
    if (restarts.length === 0) return;
    const now = new Date().toISOString();
    for (let i = 0; i < restarts.length; i += BULK_WRITE_BATCH) await this.restartBatch(restarts.slice(i, i + BULK_WRITE_BATCH), now);
    for (const group of new Set(restarts.map((r) => r.task_group))) await this.status.drop(group);
  }

  private async restartBatch(restarts: ITaskRestart[], now: string): Promise<void> {
    await this.conn.run((db) =>
      this.tasks(db).bulkWrite(
        restarts.map((r) => ({
          updateOne: {
            // Conditional on what the restart read: a run of the old id that finished OK meanwhile,
            // or another restart, wins (seen in make soak: a restart racing a finishing run gave
            // the task a second counted OK run).
            filter: { _id: r.name, task_id: r.prev_task_id, ...(r.unless_ok ? { run_status: { $ne: 'OK' as const } } : {}) },
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
  }

  /**
   * Set the tasks of a group that are still queued or running to REVOKED. One filter on the
   * indexed group, not an `$in` of task names: FerretDB v1 evaluates a 10,000-name `$in` per
   * document and held SQLite's lock for minutes.
   */
  async revokeGroup(job: string, taskGroup: string): Promise<number> {
    await this.groups.ensureMaterialized(job, taskGroup);
    const res = await this.conn.run((db) =>
      this.tasks(db).updateMany(
        { job, task_group: taskGroup, state: { $in: [...ACTIVE_STATES] } },
        { $set: { state: 'REVOKED', updated: new Date().toISOString() }, $inc: { rev: 1 } }
      )
    );
    await this.status.drop(taskGroup);
    return res.modifiedCount;
  }
}
