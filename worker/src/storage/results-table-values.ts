/**
 * What a results table needs of a group's tasks besides their status rows — each parameter and
 * each OK run's returned and glued values — read without the task documents: the parameters from
 * the group document (one array for the whole map), the values from the results read model in
 * Redis (`results-read-model.ts`). Each OK status row is checked against its read-model row by
 * task id; the tasks whose row is missing, stale or too large are read from MongoDB (by `_id`, or
 * the whole group when many are), and their rows written back, so the next table finds them.
 */
import type { Db } from 'mongodb';
import { JsonText } from '../domain/json-bytes';
import type { ITaskValues } from '../domain/task-repository';
import type { IStatusRow } from '../domain/types';
import { Collections } from './collections';
import { binaryBytes, type ITaskDoc } from './documents';
import type { MongoConnection } from './mongo-connection';
import type { ResultsReadModel } from './results-read-model';
import type { TaskGroups } from './task-groups';

export interface IResultsTableValuesOptions {
  /**
   * Tasks whose values are missing from the read model are read one by one by `_id` up to this
   * many; more are read with one query over the group (on a real MongoDB, where it is indexed;
   * FerretDB v1 on SQLite pushes only `{_id}` filters down, so there it reads by `_id` anyway).
   * @defaultValue 500
   */
  readByIdUpTo?: number;
}

/** Reads by `_id` in flight at once (as TaskQueries). */
const PARALLEL_READS = 25;

/** The fields of a task document a table's values come from. */
const VALUE_FIELDS = { _id: 1, job: 1, task_group: 1, job_id: 1, task_id: 1, run_status: 1, rev: 1, param: 1, result: 1, scraps: 1 } as const;

type ValueDoc = Pick<ITaskDoc, '_id' | 'job' | 'task_group' | 'job_id' | 'task_id' | 'run_status' | 'rev' | 'param' | 'result' | 'scraps'>;

export class ResultsTableValues {
  private readonly readByIdUpTo: number;

  constructor(
    private readonly model: ResultsReadModel,
    private readonly conn: MongoConnection,
    private readonly groups: TaskGroups,
    private readonly log: (line: string) => void = () => undefined,
    options: IResultsTableValuesOptions = {}
  ) {
    this.readByIdUpTo = options.readByIdUpTo ?? 500;
  }

  private tasks(db: Db) {
    return db.collection<ITaskDoc>(Collections.tasks);
  }

  /**
   * The values of the tasks of `rows` (a group's status rows), one per row in the same order; null
   * when the group keeps no parameter array (the caller reads the task documents instead).
   */
  async values(job: string, taskGroup: string, rows: IStatusRow[]): Promise<ITaskValues[] | null> {
    const [params, stored] = await Promise.all([
      this.groups.paramsOf(job, taskGroup),
      this.model.read(taskGroup).catch((err: unknown) => {
        this.log(`results read model unreadable (${err instanceof Error ? err.message : String(err)}); reading MongoDB`);
        return new Map<number, never>();
      })
    ]);
    if (!params || rows.some((r) => !(r.job_id < params.length))) return null;
    const out: ITaskValues[] = [];
    const missing: number[] = [];
    rows.forEach((r, i) => {
      const values: ITaskValues = { job_id: r.job_id, run_status: r.run_status, param: JsonText.fromBytes(params[r.job_id]) };
      out.push(values);
      if (r.run_status !== 'OK') return;
      const row = stored.get(r.job_id);
      if (!row || row.tooLarge || row.task_id !== r.task_id) {
        missing.push(i);
        return;
      }
      if (row.result !== undefined) values.result = new JsonText(row.result);
      if (row.scraps !== undefined) values.scraps = new JsonText(row.scraps);
    });
    if (missing.length > 0) await this.fill(job, taskGroup, rows, out, missing);
    return out;
  }

  /** Forget a deleted group's rows. */
  async forget(taskGroup: string): Promise<void> {
    await this.model.drop(taskGroup).catch(() => undefined);
  }

  /** Read the `missing` rows' tasks from MongoDB into `out`, and write their rows to the read model. */
  private async fill(job: string, taskGroup: string, rows: IStatusRow[], out: ITaskValues[], missing: number[]): Promise<void> {
    await this.groups.ensureMaterialized(job, taskGroup);
    const docs = await this.read(job, taskGroup, missing.map((i) => rows[i].name));
    const byJobId = new Map(docs.map((d) => [d.job_id, d]));
    for (const i of missing) {
      const doc = byJobId.get(rows[i].job_id);
      const values = out[i];
      delete values.result;
      delete values.scraps;
      if (!doc) continue;
      // The document is the truth: when it moved on since the status row was indexed, its run
      // status decides whether its values show (as reading the tasks alone would).
      values.run_status = doc.run_status;
      if (doc.result) values.result = JsonText.fromBytes(binaryBytes(doc.result));
      if (doc.scraps) values.scraps = JsonText.fromBytes(binaryBytes(doc.scraps));
    }
    await this.model.putDocs(docs, this.log);
  }

  private async read(job: string, taskGroup: string, names: string[]): Promise<ValueDoc[]> {
    const mine = (d: ValueDoc | null): d is ValueDoc => d !== null && d.job === job && d.task_group === taskGroup;
    if (names.length > this.readByIdUpTo && !(await this.conn.isFerretDb())) {
      const wanted = new Set(names);
      const all = await this.conn.run((db) => this.tasks(db).find({ job, task_group: taskGroup }, { projection: VALUE_FIELDS }).toArray());
      return (all as ValueDoc[]).filter((d) => wanted.has(d._id));
    }
    const docs: ValueDoc[] = [];
    for (let i = 0; i < names.length; i += PARALLEL_READS) {
      const found = await Promise.all(
        names.slice(i, i + PARALLEL_READS).map((_id) => this.conn.run((db) => this.tasks(db).findOne({ _id }, { projection: VALUE_FIELDS }) as Promise<ValueDoc | null>))
      );
      docs.push(...found.filter(mine));
    }
    return docs;
  }
}
