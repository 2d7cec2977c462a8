/** Finding and repairing tasks that stay queued or running (the reconciler's storage port). */
import type { Db } from 'mongodb';
import type { IStuckTaskRef } from '../domain/run-recorder';
import type { IStuckTaskStore } from '../domain/stuck-tasks';
import { ACTIVE_STATES, type ITaskSummary } from '../domain/task-state';
import type { IJobRun, ITask } from '../domain/types';
import { Collections } from './collections';
import { toTaskSummary, type ITaskDoc } from './documents';
import type { MongoConnection } from './mongo-connection';
import type { TaskRuns } from './task-runs';

export class StuckTasks implements IStuckTaskStore {
  constructor(
    private readonly conn: MongoConnection,
    private readonly runs: TaskRuns
  ) {}

  private tasks(db: Db) {
    return db.collection<ITaskDoc>(Collections.tasks);
  }

  async unchangedSince(before: string, limit: number, after?: string): Promise<ITaskSummary[]> {
    const updated = after === undefined ? { $lt: before } : { $lt: before, $gt: after };
    const docs = await this.conn.run((db) =>
      this.tasks(db)
        .find({ state: { $in: [...ACTIVE_STATES] }, updated }, { projection: { param: 0, result: 0 } })
        .sort({ updated: 1 })
        .limit(limit)
        .toArray()
    );
    return docs.map(toTaskSummary);
  }

  failStuck(task: IStuckTaskRef, run: IJobRun): Promise<ITask | null> {
    return this.runs.failStuck(task, run);
  }
}
