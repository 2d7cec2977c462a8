/**
 * The calls a worker makes while it runs a task: render it, mark it started, record its run (or a
 * lost one). Every write is one conditional update of one task document (no transactions:
 * FerretDB v1 has none), and its status row follows in the index.
 */
import { Binary, type Db, type Filter, type UpdateFilter } from 'mongodb';
import { encodeJson } from '../domain/json-bytes';
import type { IRunRecorder, ITaskRef } from '../domain/run-recorder';
import type { IRenderedTask } from '../domain/task-repository';
import { ACTIVE_STATES } from '../domain/task-state';
import type { IJobRun, ITask, JsonValue } from '../domain/types';
import { resultName, stripIpynb } from '../notebooks/task-names';
import { Collections } from './collections';
import { toTask, type ITaskDoc } from './documents';
import type { IndexedStatus } from './indexed-status';
import type { MongoConnection } from './mongo-connection';
import type { NotebookStore } from './notebook-store';
import type { TaskGroups } from './task-groups';
import type { TaskQueries } from './task-queries';
import type { TaskRenderer } from './task-renderer';

export class TaskRuns implements IRunRecorder {
  constructor(
    private readonly conn: MongoConnection,
    private readonly notebooks: NotebookStore,
    private readonly groups: TaskGroups,
    private readonly queries: TaskQueries,
    private readonly renderer: TaskRenderer,
    private readonly status: IndexedStatus
  ) {}

  private tasks(db: Db) {
    return db.collection<ITaskDoc>(Collections.tasks);
  }

  renderTask(taskName: string): Promise<IRenderedTask> {
    return this.renderer.renderTask(taskName);
  }

  get(taskName: string): Promise<ITask> {
    return this.queries.get(taskName);
  }

  async markStarted(taskName: string, taskId: string, worker: string): Promise<ITask | null> {
    return this.update(
      { _id: stripIpynb(taskName), task_id: taskId, state: { $in: [...ACTIVE_STATES] } },
      { $set: { state: 'STARTED', worker, updated: new Date().toISOString() } }
    );
  }

  async recordRun(task: string | ITaskRef, run: IJobRun, resultNotebook: unknown | null, resultValue: JsonValue | undefined): Promise<ITask | null> {
    const name = stripIpynb(typeof task === 'string' ? task : task.name);
    let recorded = run;
    if (resultNotebook !== null && resultNotebook !== undefined) {
      const resName = run.results ?? resultName(name, run.ts);
      // the caller usually holds the task already: its job and group never change
      const ref = typeof task === 'string' ? await this.queries.get(name) : task;
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
      { _id: name, task_id: run.task_id, state: { $in: [...ACTIVE_STATES] }, run_keys: { $ne: key } },
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

  async recordLostAttempt(taskName: string, run: IJobRun): Promise<void> {
    const key = `lost:${run.task_id}:${run.attempt}`;
    await this.update(
      { _id: stripIpynb(taskName), run_keys: { $ne: key } },
      { $push: { job_runs: run, run_keys: key }, $set: { updated: new Date().toISOString() } }
    );
  }

  async recordInfraAttempt(taskName: string, run: IJobRun): Promise<ITask | null> {
    const key = `infra:${run.task_id}:${run.attempt}`;
    return this.update(
      { _id: stripIpynb(taskName), task_id: run.task_id, state: 'STARTED', run_keys: { $ne: key } },
      { $push: { job_runs: run, run_keys: key }, $set: { state: 'PENDING', updated: new Date().toISOString() } }
    );
  }

  /** One conditional update of one task: its revision goes up and its index row follows. */
  private async update(filter: Filter<ITaskDoc>, update: UpdateFilter<ITaskDoc>): Promise<ITask | null> {
    const withRev = { ...update, $inc: { ...(update.$inc ?? {}), rev: 1 } } as UpdateFilter<ITaskDoc>;
    const attempt = () => this.conn.run((db) => this.tasks(db).findOneAndUpdate(filter, withRev, { returnDocument: 'after' }));
    let doc = await attempt();
    // A task of a map whose documents are still being written: create it, then try again.
    if (!doc && typeof filter._id === 'string' && (await this.groups.materializeOne(filter._id))) doc = await attempt();
    if (!doc) return null;
    await this.status.put(doc);
    return toTask(doc);
  }
}
