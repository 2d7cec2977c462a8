/**
 * The calls a worker makes while it runs a task: render it, mark it started, record its run (or a
 * lost one). Every write is one conditional update of one task document (no transactions:
 * FerretDB v1 has none), and its status row follows in the index.
 */
import { Binary, type Db, type Filter, type UpdateFilter } from 'mongodb';
import { InvalidInputError } from '../domain/errors';
import { encodeJson, type JsonText } from '../domain/json-bytes';
import { MAX_RESULT_BYTES, resultTooLarge, type IRunRecorder, type IStuckTaskRef, type ITaskRef } from '../domain/run-recorder';
import type { IRenderedTask } from '../domain/task-repository';
import { ACTIVE_STATES } from '../domain/task-state';
import type { IJobRun, ITask, JsonValue } from '../domain/types';
import { resultName, stripIpynb } from '../notebooks/task-names';
import { Collections } from './collections';
import { toTask, type ITaskDoc, type ITaskSummaryDoc } from './documents';
import type { IndexedStatus } from './indexed-status';
import type { MongoConnection } from './mongo-connection';
import type { NotebookStore } from './notebook-store';
import { HistoryClaims } from './history-claims';
import { appendRun, DEFAULT_RUN_HISTORY, runsTotal, unchangedHistory } from './run-history';
import type { TaskGroups } from './task-groups';
import type { TaskQueries } from './task-queries';
import type { TaskRenderer } from './task-renderer';

/** Conditional writes tried before giving up on a task whose history keeps changing. */
const CAS_TRIES = 50;

/** A short, growing, jittered wait before the next try of a contended write. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(200, 5 * (attempt + 1)) * (0.5 + Math.random())));
}

export class TaskRuns implements IRunRecorder {
  private readonly claims: HistoryClaims;

  constructor(
    private readonly conn: MongoConnection,
    private readonly notebooks: NotebookStore,
    private readonly groups: TaskGroups,
    private readonly queries: TaskQueries,
    private readonly renderer: TaskRenderer,
    private readonly status: IndexedStatus,
    /** Runs kept in `job_runs` besides the first. @defaultValue 20 */
    private readonly runHistory = DEFAULT_RUN_HISTORY
  ) {
    this.claims = new HistoryClaims(conn);
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
    return this.update(
      { _id: stripIpynb(taskName), task_id: taskId, state: { $in: [...ACTIVE_STATES] } },
      { $set: { state: 'STARTED', worker, updated: new Date().toISOString() } }
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
    const key = `${run.task_id}:${run.attempt}`;
    const outcome: Record<string, unknown> = {
      state: ok ? 'SUCCESS' : 'FAILURE',
      run_status: ok ? 'OK' : 'ERROR',
      worker: run.worker,
      ...(resultBytes ? { result: new Binary(resultBytes) } : {})
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
    for (let i = 0; i < CAS_TRIES; i++) {
      const doc = await this.readHistory(name);
      if (!doc) return null;
      // Only a run of the current task id that is still queued or running moves the state: after
      // SUCCESS/FAILURE/REVOKED, later runs of the same id (redeliveries) go to the history only,
      // so a task id never gets two OK runs.
      const current = doc.task_id === run.task_id && ACTIVE_STATES.includes(doc.state);
      const history = appendRun(doc, current ? recorded : late, key, this.runHistory, current);
      if (typeof history === 'string') return null; // recorded before, or older than the window
      const filter: Filter<ITaskDoc> = current
        ? { _id: name, task_id: run.task_id, state: { $in: [...ACTIVE_STATES] }, ...unchangedHistory(doc) }
        : { _id: name, ...unchangedHistory(doc) };
      const update: UpdateFilter<ITaskDoc> = current
        ? { $set: { ...outcome, ...history, updated: new Date().toISOString() } }
        : { $set: { ...history } };
      if (current && ok && !resultBytes) update.$unset = { result: '' };
      const written = await this.writeSlot(name, doc, filter, update);
      if (written) return current ? written : null;
      // Another writer had the slot, or the task changed between the read and the write.
      await pause(i);
    }
    throw new Error(`could not record the run of ${name}: its history kept changing (${CAS_TRIES} tries)`);
  }

  async recordLostAttempt(taskName: string, run: IJobRun): Promise<void> {
    const name = stripIpynb(taskName);
    const key = `lost:${run.task_id}:${run.attempt}`;
    for (let i = 0; i < CAS_TRIES; i++) {
      const doc = await this.readHistory(name);
      if (!doc) return;
      const history = appendRun(doc, run, key, this.runHistory);
      if (typeof history === 'string') return;
      const written = await this.writeSlot(name, doc, { _id: name, ...unchangedHistory(doc) }, { $set: { ...history, updated: new Date().toISOString() } });
      if (written) return;
      await pause(i);
    }
    throw new Error(`could not record the lost run of ${name}: its history kept changing (${CAS_TRIES} tries)`);
  }

  async failStuck(task: IStuckTaskRef, run: IJobRun): Promise<ITask | null> {
    const name = stripIpynb(task.name);
    const key = `lost:${run.task_id}:${run.attempt}`;
    for (let i = 0; i < CAS_TRIES; i++) {
      const doc = await this.readHistory(name);
      // Changed since it was found stuck (a worker got to it after all): leave it alone.
      if (!doc || doc.task_id !== task.task_id || doc.state !== task.state || doc.updated !== task.updated) return null;
      const history = appendRun(doc, run, key, this.runHistory, true);
      const set = typeof history === 'string' ? {} : history;
      const written = await this.writeSlot(
        name,
        doc,
        { _id: name, task_id: task.task_id, state: task.state, updated: task.updated, ...unchangedHistory(doc) },
        { $set: { ...set, state: 'FAILURE', run_status: 'ERROR', updated: new Date().toISOString() } }
      );
      if (written) return written;
      await pause(i);
    }
    return null;
  }

  /**
   * The write of the history slot after `doc`'s, by the one writer holding its claim (see
   * `history-claims.ts`). Null when another writer holds it or the task changed since `doc`.
   */
  private async writeSlot(name: string, doc: ITaskSummaryDoc, filter: Filter<ITaskDoc>, update: UpdateFilter<ITaskDoc>): Promise<ITask | null> {
    const slot = runsTotal(doc);
    if (!(await this.claims.take(name, slot))) return null;
    try {
      return await this.update(filter, update, false);
    } finally {
      await this.claims.release(name, slot).catch(() => undefined); // an abandoned claim expires
    }
  }

  /** A task's document without its parameter and returned value; created from its group if needed. */
  private async readHistory(name: string): Promise<ITaskSummaryDoc | null> {
    const find = () => this.conn.run((db) => this.tasks(db).findOne({ _id: name }, { projection: { param: 0, result: 0 } }));
    let doc = await find();
    if (!doc && (await this.groups.materializeOne(name))) doc = await find();
    return doc;
  }

  async recordInfraAttempt(taskName: string, run: IJobRun): Promise<ITask | null> {
    const name = stripIpynb(taskName);
    const key = `infra:${run.task_id}:${run.attempt}`;
    // The bounded history's compare-and-swap, as recordRun: only a STARTED task of this id moves.
    for (let i = 0; i < CAS_TRIES; i++) {
      const doc = await this.readHistory(name);
      if (!doc || doc.task_id !== run.task_id || doc.state !== 'STARTED') return null;
      const history = appendRun(doc, run, key, this.runHistory);
      if (typeof history === 'string') return null;
      const written = await this.writeSlot(
        name,
        doc,
        { _id: name, task_id: run.task_id, state: 'STARTED', ...unchangedHistory(doc) },
        { $set: { ...history, state: 'PENDING', updated: new Date().toISOString() } }
      );
      if (written) return written;
      await pause(i);
    }
    throw new Error(`could not record the infrastructure failure of ${name}: its history kept changing (${CAS_TRIES} tries)`);
  }

  /** One conditional update of one task: its revision goes up and its index row follows. */
  private async update(filter: Filter<ITaskDoc>, update: UpdateFilter<ITaskDoc>, materialize = true): Promise<ITask | null> {
    const withRev = { ...update, $inc: { ...(update.$inc ?? {}), rev: 1 } } as UpdateFilter<ITaskDoc>;
    const attempt = () => this.conn.run((db) => this.tasks(db).findOneAndUpdate(filter, withRev, { returnDocument: 'after' }));
    let doc = await attempt();
    // A task of a map whose documents are still being written: create it, then try again.
    if (!doc && materialize && typeof filter._id === 'string' && (await this.groups.materializeOne(filter._id))) doc = await attempt();
    if (!doc) return null;
    await this.status.put(doc);
    return toTask(doc);
  }
}
