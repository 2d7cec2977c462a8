/**
 * Schedules and their occurrence claims in MongoDB (`schedules`, `schedule_runs`). The map body
 * is kept as the JSON bytes it was sent as (BSON Binary): it may hold anything a map body may
 * (dotted keys, NaN-free but deep parameters), which FerretDB v1 would refuse as a sub-document.
 * A claim is created by a unique `_id` insert, the one write FerretDB v1 makes atomic among
 * concurrent writers; its later updates are by `_id` from the one process that holds it.
 */
import { Binary, type Db } from 'mongodb';
import { isDuplicateKey } from '../storage/blob-store';
import { Collections } from '../storage/collections';
import { binaryBytes } from '../storage/documents';
import type { MongoConnection } from '../storage/mongo-connection';

/** What a schedule does about an occurrence missed while no service ran. */
export type Catchup = 'none' | 'latest';

export interface IScheduleDoc {
  /** 8 hex digits. */
  _id: string;
  job: string;
  cron: string;
  tz: string;
  /** The map body's JSON text, as given (`params`, `require`, ... and whatever else a map takes). */
  body: Binary;
  catchup: Catchup;
  /** Groups of this schedule kept by retention (the newest); null keeps all. */
  keep_last: number | null;
  paused: boolean;
  created: string;
  updated: string;
}

/** State of an occurrence's claim: claimed → submitted | failed; skipped when too late. */
export type RunState = 'claimed' | 'submitted' | 'failed' | 'skipped';

export interface IScheduleRunDoc {
  /** `<schedule>:<occurrence ISO>`. */
  _id: string;
  schedule: string;
  job: string;
  occurrence: string;
  /** Fixed when claimed: the group id the occurrence's map creates. */
  task_group: string;
  state: RunState;
  /** 'cron', or 'manual' for "run now". */
  trigger: 'cron' | 'manual';
  claimed_at: string;
  /** Who claimed it (host:pid), for the log. */
  claimed_by: string;
  finished_at?: string;
  error?: string;
}

export class ScheduleStore {
  constructor(private readonly conn: MongoConnection) {}

  private schedules(db: Db) {
    return db.collection<IScheduleDoc>(Collections.schedules);
  }

  private runs(db: Db) {
    return db.collection<IScheduleRunDoc>(Collections.scheduleRuns);
  }

  /** Idempotent; one `createIndex` per call (FerretDB v1, see NbgridStore.ensureIndexes). */
  async ensureIndexes(): Promise<void> {
    await this.conn.run((db) => this.runs(db).createIndex({ schedule: 1, occurrence: -1 }, { name: 'schedule_occurrence' }));
  }

  /** @returns false when the id is taken */
  async insert(doc: IScheduleDoc): Promise<boolean> {
    try {
      await this.conn.run((db) => this.schedules(db).insertOne(doc));
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  get(id: string): Promise<IScheduleDoc | null> {
    return this.conn.run((db) => this.schedules(db).findOne({ _id: id }));
  }

  list(): Promise<IScheduleDoc[]> {
    return this.conn.run((db) => this.schedules(db).find({}).sort({ created: 1 }).toArray());
  }

  async setPaused(id: string, paused: boolean): Promise<boolean> {
    const res = await this.conn.run((db) => this.schedules(db).updateOne({ _id: id }, { $set: { paused, updated: new Date().toISOString() } }));
    return res.matchedCount > 0;
  }

  /** Remove a schedule and its claims (its groups stay). */
  async delete(id: string): Promise<boolean> {
    return this.conn.run(async (db) => {
      const res = await this.schedules(db).deleteOne({ _id: id });
      await this.runs(db).deleteMany({ schedule: id });
      return res.deletedCount > 0;
    });
  }

  /**
   * Claim an occurrence: true for the one caller whose insert created the claim, false for
   * everyone else (another service, or this one earlier, has it).
   */
  async claim(run: IScheduleRunDoc): Promise<boolean> {
    try {
      await this.conn.run((db) => this.runs(db).insertOne(run));
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  getRun(id: string): Promise<IScheduleRunDoc | null> {
    return this.conn.run((db) => this.runs(db).findOne({ _id: id }));
  }

  async finishRun(id: string, state: RunState, error?: string): Promise<void> {
    const set: Partial<IScheduleRunDoc> = { state, finished_at: new Date().toISOString() };
    if (error !== undefined) set.error = error;
    await this.conn.run((db) => this.runs(db).updateOne({ _id: id }, { $set: set }));
  }

  /** Claims still 'claimed' (a service stopped between claim and map, or is mapping now). */
  unfinished(): Promise<IScheduleRunDoc[]> {
    return this.conn.run((db) => this.runs(db).find({ state: 'claimed' }).toArray());
  }

  /** The newest claims of a schedule, newest first. */
  latestRuns(schedule: string, limit: number): Promise<IScheduleRunDoc[]> {
    return this.conn.run((db) => this.runs(db).find({ schedule }).sort({ occurrence: -1 }).limit(limit).toArray());
  }
}

/** The map body of a schedule, as its JSON text. */
export function bodyText(doc: IScheduleDoc): string {
  return Buffer.from(binaryBytes(doc.body)).toString('utf8');
}

/** The claim id of an occurrence. */
export function runId(schedule: string, occurrence: string): string {
  return `${schedule}:${occurrence}`;
}

/** A JSON text as the Binary a schedule stores. */
export function bodyBinary(text: string): Binary {
  return new Binary(Buffer.from(text, 'utf8'));
}
