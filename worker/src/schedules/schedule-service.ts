/**
 * What `job.schedule()`, `om.runtime.schedules()`, `nbgrid schedule ...` and the panel do, behind
 * `/api/schedules`: create (validated before anything is stored), list, get, pause, resume,
 * delete and run now. The scheduler loop (`scheduler.ts`) runs the occurrences.
 */
import { randomBytes } from 'node:crypto';
import { InvalidInputError, NotFoundError } from '../domain/errors';
import type { ISchedule, IScheduleRun } from '../schemas/schedules';
import type { INewSchedule, IScheduleService } from '../domain/schedule-service';
import { CronSchedule } from './cron-schedule';
import { bodyBinary, bodyText, type IScheduleDoc, type IScheduleRunDoc, type ScheduleStore } from './schedule-store';
import type { Scheduler } from './scheduler';

export interface IScheduleServiceDeps {
  store: ScheduleStore;
  scheduler: Scheduler;
  /** Resolves when notebook `job` exists. @throws NotFoundError naming it */
  notebookExists: (job: string) => Promise<void>;
  /**
   * Checks a map body (JSON text) of `job` exactly as a map would, storing nothing.
   * @throws InvalidInputError (or another API error) saying what a map would refuse
   */
  validateMap: (job: string, body: string) => Promise<void>;
  /** @defaultValue Date.now */
  now?: () => number;
}

/** Latest occurrences shown by `get`. */
const RUNS_SHOWN = 20;

export class ScheduleService implements IScheduleService {
  private readonly now: () => number;

  constructor(private readonly deps: IScheduleServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** @throws InvalidInputError for a bad cron, time zone or option; a missing notebook too */
  async create(input: INewSchedule): Promise<ISchedule> {
    const tz = input.tz ?? 'UTC';
    new CronSchedule(input.cron, tz);
    const catchup = input.catchup ?? 'latest';
    if (catchup !== 'none' && catchup !== 'latest') throw new InvalidInputError(`catchup must be 'none' or 'latest', got ${JSON.stringify(catchup)}`);
    const keepLast = input.keep_last ?? null;
    if (keepLast !== null && (!Number.isInteger(keepLast) || keepLast < 1)) {
      throw new InvalidInputError(`keep_last must be a whole number of groups, 1 or more (or null to keep all), got ${JSON.stringify(keepLast)}`);
    }
    try {
      await this.deps.notebookExists(input.job);
    } catch (err) {
      if (err instanceof NotFoundError) throw new InvalidInputError(`cannot schedule '${input.job}': ${err.message}; put the notebook first`);
      throw err;
    }
    await this.deps.validateMap(input.job, input.body);
    const at = new Date(this.now()).toISOString();
    for (;;) {
      const doc: IScheduleDoc = {
        _id: randomBytes(4).toString('hex'),
        job: input.job,
        cron: input.cron.trim(),
        tz,
        body: bodyBinary(input.body),
        catchup,
        keep_last: keepLast,
        paused: input.paused ?? false,
        created: at,
        updated: at
      };
      if (await this.deps.store.insert(doc)) return this.view(doc, []);
    }
  }

  async list(job?: string): Promise<ISchedule[]> {
    const docs = (await this.deps.store.list()).filter((d) => job === undefined || d.job === job);
    return Promise.all(docs.map(async (d) => this.view(d, await this.deps.store.latestRuns(d._id, 1))));
  }

  async get(id: string): Promise<ISchedule> {
    const doc = await this.doc(id);
    const runs = await this.deps.store.latestRuns(id, RUNS_SHOWN);
    return { ...this.view(doc, runs), runs: runs.map(runView) };
  }

  async setPaused(id: string, paused: boolean): Promise<ISchedule> {
    if (!(await this.deps.store.setPaused(id, paused))) throw notFound(id);
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    if (!(await this.deps.store.delete(id))) throw notFound(id);
  }

  /** Submit the schedule's map now; the answer says whether it was made (state) and its group. */
  async runNow(id: string): Promise<IScheduleRun> {
    return runView(await this.deps.scheduler.runNow(await this.doc(id)));
  }

  private async doc(id: string): Promise<IScheduleDoc> {
    const doc = await this.deps.store.get(id);
    if (!doc) throw notFound(id);
    return doc;
  }

  private view(doc: IScheduleDoc, runs: IScheduleRunDoc[]): ISchedule {
    const next = doc.paused ? null : new CronSchedule(doc.cron, doc.tz).next(new Date(this.now()));
    return {
      id: doc._id,
      job: doc.job,
      cron: doc.cron,
      tz: doc.tz,
      map: JSON.parse(bodyText(doc)) as ISchedule['map'],
      catchup: doc.catchup,
      keep_last: doc.keep_last,
      paused: doc.paused,
      created: doc.created,
      next_run: next ? next.toISOString() : null,
      last_run: runs.length > 0 ? runView(runs[0]) : null
    };
  }
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`there is no schedule '${id}'; list them with GET /api/schedules`);
}

function runView(run: IScheduleRunDoc): IScheduleRun {
  const view: IScheduleRun = { occurrence: run.occurrence, task_group: run.task_group, state: run.state, trigger: run.trigger };
  if (run.error !== undefined) view.error = run.error;
  return view;
}
