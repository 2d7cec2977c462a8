/**
 * Task groups and tasks, and the calls a worker makes while it runs a task. Every update is a
 * single-document conditional write, so no transactions are needed (FerretDB v1 has none).
 */
import { Binary, type Db, type Filter, type UpdateFilter } from 'mongodb';
import { NotFoundError } from '../domain/errors';
import type { IJobRun, ITask, JsonValue, QueueState } from '../domain/types';
import { renderTaskNotebook } from '../notebooks/inject-parameters';
import { resultName, stripIpynb } from '../notebooks/task-names';
import type { BlobStore } from './blob-store';
import { Collections } from './collections';
import { binaryBytes, toTask, type ITaskDoc, type ITaskGroupDoc } from './documents';
import { decodeJson, encodeJson } from './json-bytes';
import type { MongoConnection } from './mongo-connection';
import type { NotebookStore } from './notebook-store';

/** States a task can still leave by being picked up by a worker. */
export const ACTIVE_STATES: QueueState[] = ['PENDING', 'STARTED', 'RETRY'];

/** A task document without its parameter and result bytes (what status listings read). */
export type ITaskSummaryDoc = Omit<ITaskDoc, 'param' | 'result'>;

/** A restart of one task: its new Celery id and attempt. */
export interface ITaskRestart {
  name: string;
  task_id: string;
  attempt: number;
  /** Set when the task is re-pointed at the current main notebook. */
  main_sha256?: string;
}

export class TaskStore {
  /** Recently rendered main notebooks' bytes, by sha256: a worker renders many tasks of one map. */
  private readonly mainCache = new Map<string, Buffer>();

  constructor(
    private readonly conn: MongoConnection,
    private readonly blobs: BlobStore,
    private readonly notebooks: NotebookStore,
    /** How many main notebooks' bytes to keep in memory. @defaultValue 4 */
    private readonly cacheSize = 4
  ) {}

  private tasks(db: Db) {
    return db.collection<ITaskDoc>(Collections.tasks);
  }

  private groups(db: Db) {
    return db.collection<ITaskGroupDoc>(Collections.taskGroups);
  }

  /**
   * Store a map: all tasks in one unordered bulk insert, then the group document (so a half-made
   * map is never the "latest group"). On failure whatever was written is removed again.
   */
  async insertMap(group: ITaskGroupDoc, tasks: ITaskDoc[]): Promise<void> {
    try {
      await this.conn.run(async (db) => {
        if (tasks.length > 0) await this.tasks(db).insertMany(tasks, { ordered: false });
        await this.groups(db).insertOne(group);
      });
    } catch (err) {
      await this.deleteGroup(group._id).catch(() => undefined);
      throw err;
    }
  }

  /** Remove a group and its tasks. */
  async deleteGroup(taskGroup: string): Promise<void> {
    await this.conn.run(async (db) => {
      await this.tasks(db).deleteMany({ task_group: taskGroup });
      await this.groups(db).deleteOne({ _id: taskGroup });
    });
  }

  /** Whether any job already has a group with this id. */
  async groupIdTaken(taskGroup: string): Promise<boolean> {
    return (await this.conn.run((db) => this.groups(db).countDocuments({ _id: taskGroup }, { limit: 1 }))) > 0;
  }

  async findGroup(job: string, taskGroup: string): Promise<ITaskGroupDoc | null> {
    return this.conn.run((db) => this.groups(db).findOne({ _id: taskGroup, job }));
  }

  async latestGroup(job: string): Promise<ITaskGroupDoc | null> {
    return this.conn.run((db) => this.groups(db).find({ job }).sort({ seq: -1 }).limit(1).next());
  }

  /** Groups of a job, newest first. */
  async listGroups(job: string): Promise<ITaskGroupDoc[]> {
    return this.conn.run((db) => this.groups(db).find({ job }).sort({ seq: -1 }).toArray());
  }

  /** Task counts by group and queue state for a job: one aggregation. */
  async stateCounts(job: string): Promise<Map<string, Partial<Record<QueueState, number>>>> {
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
    const docs = await this.conn.run((db) => {
      const filter: Filter<ITaskDoc> = taskGroup === '*' ? { job } : { job, task_group: taskGroup };
      const sort = taskGroup === '*' ? { group_seq: 1, job_id: 1 } : { job_id: 1 };
      return this.tasks(db).find(filter).sort(sort as Record<string, 1>).toArray();
    });
    return docs.map(toTask);
  }

  /** Task names (no `.ipynb`) starting with `prefix`, with their main notebook and times. */
  async listNames(prefixRe: RegExp): Promise<Pick<ITaskDoc, '_id' | 'main_sha256' | 'created' | 'updated'>[]> {
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
    const doc = await this.conn.run((db) => this.tasks(db).findOne({ _id: name }));
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
              }
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
    const res = await this.conn.run((db) =>
      this.tasks(db).updateMany(
        { job, task_group: taskGroup, state: { $in: ACTIVE_STATES } },
        { $set: { state: 'REVOKED', updated: new Date().toISOString() } }
      )
    );
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
    taskName: string,
    run: IJobRun,
    resultNotebook: unknown | null,
    resultValue: JsonValue | undefined
  ): Promise<ITask | null> {
    const name = stripIpynb(taskName);
    let recorded = run;
    if (resultNotebook !== null && resultNotebook !== undefined) {
      const resName = run.results ?? resultName(name, run.ts);
      const task = await this.get(name);
      await this.notebooks.putResult(
        { _id: resName, task_name: name, job: task.job, task_group: task.task_group, job_id: task.job_id, task_id: run.task_id },
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
    await this.conn.run((db) => this.tasks(db).updateOne({ _id: name, run_keys: { $ne: key } }, { $push: { job_runs: late, run_keys: key } }));
    return null;
  }

  /**
   * Append a run that was lost (its worker died mid-run and the message was redelivered) to the
   * history without touching the state. Recording the same task id + attempt twice adds it once.
   */
  async recordLostAttempt(taskName: string, run: IJobRun): Promise<void> {
    const key = `lost:${run.task_id}:${run.attempt}`;
    await this.conn.run((db) =>
      this.tasks(db).updateOne(
        { _id: stripIpynb(taskName), run_keys: { $ne: key } },
        { $push: { job_runs: run, run_keys: key }, $set: { updated: new Date().toISOString() } }
      )
    );
  }

  private async update(filter: Filter<ITaskDoc>, update: UpdateFilter<ITaskDoc>): Promise<ITask | null> {
    const doc = await this.conn.run((db) => this.tasks(db).findOneAndUpdate(filter, update, { returnDocument: 'after' }));
    return doc ? toTask(doc) : null;
  }

  /** The stored returned value of a task document, if any. */
  static resultOf(doc: Pick<ITaskDoc, 'result'>): JsonValue | undefined {
    return doc.result ? (decodeJson(binaryBytes(doc.result)) as JsonValue) : undefined;
  }
}
