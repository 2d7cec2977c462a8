/**
 * The calls a worker makes while it runs a task: render it, mark it started, record its run (or a
 * lost one). Every write holds the task's lock (`task-locks.ts`), reads the task by `_id`, decides
 * from what it read, and writes by `_id`: FerretDB v1 has no transactions and its conditional
 * updates are neither atomic nor, with a condition beside `_id`, O(1) on SQLite. The status row
 * follows in the index.
 */
import { Binary, type Db, type UpdateFilter } from 'mongodb';
import { InvalidInputError } from '../domain/errors';
import { encodeJson, type JsonText } from '../domain/json-bytes';
import { MAX_RESULT_BYTES, resultTooLarge, type ILostAttemptOptions, type IRunRecorder, type IStuckTaskRef, type ITaskRef } from '../domain/run-recorder';
import type { IRenderedTask } from '../domain/task-repository';
import { ACTIVE_STATES } from '../domain/task-state';
import type { IJobRun, ITask, JsonValue } from '../domain/types';
import { resultName, stripIpynb } from '../notebooks/task-names';
import { scrapsBytes } from '../notebooks/scraps';
import { Collections } from './collections';
import { activityChange, type ActiveTasks } from './active-tasks';
import { toTask, type ITaskDoc, type ITaskSummaryDoc } from './documents';
import type { IndexedStatus } from './indexed-status';
import type { MongoConnection } from './mongo-connection';
import type { NotebookStore } from './notebook-store';
import { appendRun, DEFAULT_RUN_HISTORY } from './run-history';
import { TaskLocks } from './task-locks';
import type { TaskGroups } from './task-groups';
import type { TaskQueries } from './task-queries';
import type { TaskRenderer } from './task-renderer';

export class TaskRuns implements IRunRecorder {
  private readonly locks: TaskLocks;

  constructor(
    private readonly conn: MongoConnection,
    private readonly notebooks: NotebookStore,
    private readonly groups: TaskGroups,
    private readonly queries: TaskQueries,
    private readonly renderer: TaskRenderer,
    private readonly status: IndexedStatus,
    private readonly active: ActiveTasks,
    /** Runs kept in `job_runs` besides the first. @defaultValue 20 */
    private readonly runHistory = DEFAULT_RUN_HISTORY
  ) {
    this.locks = new TaskLocks(conn);
    if (!Number.isInteger(runHistory) || runHistory < 1) throw new RangeError(`runHistory must be a positive integer, got ${runHistory}`);
  }

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
    return this.write(stripIpynb(taskName), (doc) =>
      doc.task_id === taskId && ACTIVE_STATES.includes(doc.state) ? { $set: { state: 'STARTED', worker, updated: new Date().toISOString() } } : null
    );
  }

  async recordRun(task: string | ITaskRef, run: IJobRun, resultNotebook: unknown | null, resultValue: JsonValue | JsonText | undefined): Promise<ITask | null> {
    const name = stripIpynb(typeof task === 'string' ? task : task.name);
    // Checked before anything is written to the task: a value too large (or too deep) for the
    // task document turns the run into an ERROR that says so; the result notebook is kept.
    let resultBytes: Buffer | undefined;
    let unstorable = '';
    if (run.status === 'OK' && resultValue !== undefined) {
      try {
        resultBytes = encodeJson(resultValue, 'the returned value');
        if (resultBytes.byteLength > MAX_RESULT_BYTES) throw resultTooLarge(resultBytes.byteLength);
      } catch (err) {
        if (!(err instanceof InvalidInputError)) throw err;
        resultBytes = undefined;
        unstorable = err.message;
      }
    }
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
    if (unstorable) {
      recorded = {
        ...recorded,
        status: 'ERROR',
        message: `the notebook ran, but its returned value was not stored: ${unstorable}` +
          (recorded.results ? ` (the outputs are in the result notebook ${recorded.results})` : '')
      };
    }
    const ok = recorded.status === 'OK';
    // Glued values are taken out now, so a results table never opens the result notebooks.
    const scraps = ok ? scrapsBytes(resultNotebook) : undefined;
    const key = `${run.task_id}:${run.attempt}`;
    const outcome: Record<string, unknown> = {
      state: ok ? 'SUCCESS' : 'FAILURE',
      run_status: ok ? 'OK' : 'ERROR',
      worker: run.worker,
      ...(resultBytes ? { result: new Binary(resultBytes) } : {}),
      ...(scraps ? { scraps: new Binary(scraps) } : {})
    };
    // Not the current attempt (restarted, revoked or finished since — e.g. a second delivery of
    // the same message that ran alongside the first): kept in the history only, and never as a
    // second OK: the task's outcome was already decided without it.
    const late: IJobRun = ok
      ? {
          ...recorded,
          status: 'ERROR',
          message: `not counted: the task was no longer waiting for this run when it finished (it was restarted, revoked or already finished); result notebook ${recorded.results ?? 'not stored'}`
        }
      : recorded;
    let decided = false;
    const written = await this.write(name, (doc) => {
      // Only a run of the current task id that is still queued or running moves the state: after
      // SUCCESS/FAILURE/REVOKED, later runs of the same id (redeliveries) go to the history only,
      // so a task id never gets two OK runs.
      const current = doc.task_id === run.task_id && ACTIVE_STATES.includes(doc.state);
      const history = appendRun(doc, current ? recorded : late, key, this.runHistory, current);
      if (typeof history === 'string') return null; // recorded before, or older than the window
      decided = current;
      if (!current) return { $set: { ...history } };
      const update: UpdateFilter<ITaskDoc> = { $set: { ...outcome, ...history, updated: new Date().toISOString() } };
      if (ok && !resultBytes) update.$unset = { result: '' };
      if (ok && !scraps) update.$unset = { ...(update.$unset ?? {}), scraps: '' };
      return update;
    });
    return decided ? written : null;
  }

  async recordLostAttempt(taskName: string, run: IJobRun, options: ILostAttemptOptions = {}): Promise<void> {
    const key = `lost:${run.task_id}:${run.attempt}`;
    const name = stripIpynb(taskName);
    const recorded = await this.withLostNotebook(name, run, options.resultNotebook);
    await this.write(name, (doc) => {
      if (options.whileStarted && (doc.task_id !== run.task_id || doc.state !== 'STARTED')) return null;
      const history = appendRun(doc, recorded, key, this.runHistory);
      return typeof history === 'string' ? null : { $set: { ...history, updated: new Date().toISOString() } };
    });
  }

  async failStuck(task: IStuckTaskRef, run: IJobRun, resultNotebook?: unknown): Promise<ITask | null> {
    const key = `lost:${run.task_id}:${run.attempt}`;
    const recorded = await this.withLostNotebook(stripIpynb(task.name), run, resultNotebook);
    return this.write(stripIpynb(task.name), (doc) => {
      // Changed since it was found stuck (a worker got to it after all): leave it alone.
      if (doc.task_id !== task.task_id || doc.state !== task.state || doc.updated !== task.updated) return null;
      const history = appendRun(doc, recorded, key, this.runHistory, true);
      const set = typeof history === 'string' ? {} : history;
      return { $set: { ...set, state: 'FAILURE', run_status: 'ERROR', updated: new Date().toISOString() } };
    });
  }

  /**
   * `run` naming `resultNotebook` (a lost attempt's partial notebook) as its result notebook, stored
   * first, so a history entry never names a notebook that is not there; `run` itself without one.
   */
  private async withLostNotebook(name: string, run: IJobRun, resultNotebook: unknown): Promise<IJobRun> {
    if (resultNotebook === null || resultNotebook === undefined) return run;
    const resName = run.results ?? resultName(name, run.ts);
    const ref = await this.queries.get(name);
    await this.notebooks.putResult(
      { _id: resName, task_name: name, job: ref.job, task_group: ref.task_group, job_id: ref.job_id, task_id: run.task_id },
      resultNotebook
    );
    return { ...run, results: resName };
  }

  /** A task's document without its parameter and returned value; created from its group if needed. */
  private async readHistory(name: string): Promise<ITaskSummaryDoc | null> {
    const find = () => this.conn.run((db) => this.tasks(db).findOne({ _id: name }, { projection: { param: 0, result: 0 } }));
    let doc = await find();
    if (!doc && (await this.groups.materializeOne(name))) doc = await find();
    return doc;
  }

  async recordInfraAttempt(taskName: string, run: IJobRun): Promise<ITask | null> {
    const key = `infra:${run.task_id}:${run.attempt}`;
    // Only a STARTED task of this id moves back to PENDING (the message is retried).
    return this.write(stripIpynb(taskName), (doc) => {
      if (doc.task_id !== run.task_id || doc.state !== 'STARTED') return null;
      const history = appendRun(doc, run, key, this.runHistory);
      return typeof history === 'string' ? null : { $set: { ...history, state: 'PENDING', updated: new Date().toISOString() } };
    });
  }

  /**
   * One conditional write of one task, atomic with every other write through here: under the
   * task's lock, `decide` sees the task as stored (created from its group if needed) and returns
   * the update to make, or null to leave it. The write filters by `_id` alone (O(1) on FerretDB);
   * its revision goes up and its index row follows. An attempt the write makes active gets its
   * active entry before the write; one it ends loses its entry after (see `active-tasks.ts`).
   * Returns the written task, else null.
   */
  private async write(name: string, decide: (doc: ITaskSummaryDoc) => UpdateFilter<ITaskDoc> | null): Promise<ITask | null> {
    let ended: string | undefined;
    const doc = await this.locks.with(name, async () => {
      const found = await this.readHistory(name);
      const update = found ? decide(found) : null;
      if (!found || !update) return null;
      const change = activityChange(found, update.$set as Record<string, unknown> | undefined);
      if (change.add) await this.active.add([change.add]);
      const withRev = { ...update, $inc: { ...(update.$inc ?? {}), rev: 1 } } as UpdateFilter<ITaskDoc>;
      const after = await this.conn.run((db) => this.tasks(db).findOneAndUpdate({ _id: name }, withRev, { returnDocument: 'after' }));
      ended = change.remove;
      return after;
    });
    // Keyed by the ended attempt's task id: no lock needed (nothing makes that attempt active
    // again). Not deleted (MongoDB went away): the entry is stale and the reconciler deletes it.
    if (ended) await this.active.remove([ended]).catch(() => undefined);
    if (!doc) return null;
    await this.status.put(doc);
    return toTask(doc);
  }
}
