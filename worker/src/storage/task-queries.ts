/**
 * Reads of tasks: by group (or every group of a job), by name prefix and one by name, and the
 * counts by state. Group-wide reads first wait until the group's task documents exist (see
 * TaskGroups); a single task is created from its group when it does not exist yet.
 */
import type { Db, Filter } from 'mongodb';
import { NotFoundError } from '../domain/errors';
import { JsonText } from '../domain/json-bytes';
import type { IExactTask, ITaskValues } from '../domain/task-repository';
import type { INotebookInfo, ITask, QueueState } from '../domain/types';
import { stripIpynb, taskName, taskNotebookPath } from '../notebooks/task-names';
import type { BlobStore } from './blob-store';
import { Collections } from './collections';
import { binaryBytes, toExactTask, toTask, type ITaskDoc, type ITaskSummaryDoc } from './documents';
import { prefixRegex } from './notebook-store';
import type { MongoConnection } from './mongo-connection';
import type { TaskGroups } from './task-groups';

/** Reads by `_id` in flight at once (the driver's pool is 100 connections, shared). */
const PARALLEL_READS = 25;

export class TaskQueries {
  constructor(
    private readonly conn: MongoConnection,
    private readonly groups: TaskGroups,
    private readonly blobs: BlobStore
  ) {}

  private tasks(db: Db) {
    return db.collection<ITaskDoc>(Collections.tasks);
  }

  /** Task counts by group and queue state for a job: one aggregation. */
  async stateCounts(job: string): Promise<Map<string, Partial<Record<QueueState, number>>>> {
    await this.groups.ensureMaterialized(job, '*');
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
    await this.groups.ensureMaterialized(job, taskGroup);
    if (taskGroup !== '*' && (await this.conn.isFerretDb())) return this.byId(job, taskGroup, { param: 0, result: 0 });
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
    return (await this.listDocs(job, taskGroup)).map(toTask);
  }

  /** `list` with each parameter and returned value also as its stored JSON text. */
  async listExact(job: string, taskGroup: string): Promise<IExactTask[]> {
    return (await this.listDocs(job, taskGroup)).map(toExactTask);
  }

  /**
   * The values of one group's tasks in map order, without `job_runs` (FerretDB decodes less: a
   * 10,000-task read took 4.6 s instead of 11-20 s on a loaded machine); sorted here, not in the query.
   */
  async listValues(job: string, taskGroup: string): Promise<ITaskValues[]> {
    await this.groups.ensureMaterialized(job, taskGroup);
    const docs = await this.conn.run((db) =>
      this.tasks(db)
        .find({ job, task_group: taskGroup }, { projection: { job_id: 1, run_status: 1, param: 1, result: 1, scraps: 1 } })
        .toArray()
    );
    docs.sort((a, b) => a.job_id - b.job_id);
    return docs.map((d) => ({
      job_id: d.job_id,
      run_status: d.run_status,
      param: JsonText.fromBytes(binaryBytes(d.param)),
      ...(d.result ? { result: JsonText.fromBytes(binaryBytes(d.result)) } : {}),
      ...(d.scraps ? { scraps: JsonText.fromBytes(binaryBytes(d.scraps)) } : {})
    }));
  }

  private async listDocs(job: string, taskGroup: string): Promise<ITaskDoc[]> {
    await this.groups.ensureMaterialized(job, taskGroup);
    if (taskGroup !== '*' && (await this.conn.isFerretDb())) return this.byId(job, taskGroup);
    return this.conn.run((db) => {
      const filter: Filter<ITaskDoc> = taskGroup === '*' ? { job } : { job, task_group: taskGroup };
      const sort = taskGroup === '*' ? { group_seq: 1, job_id: 1 } : { job_id: 1 };
      return this.tasks(db).find(filter).sort(sort as Record<string, 1>).toArray();
    });
  }

  /**
   * The tasks of one group read one by one by `_id` (the names follow from the group's count), in
   * map order: on FerretDB the filter `{job, task_group}` reads every stored task document (about
   * 0.25 ms of FerretDB CPU each: 25 s with 100,000 stored, for a status rebuild of a group of
   * any size), this reads the group's (about 0.6 ms each). A real MongoDB answers the query from
   * its index, so it keeps the query.
   */
  private async byId<T extends ITaskSummaryDoc>(job: string, taskGroup: string, projection?: Record<string, 0>): Promise<T[]> {
    const group = await this.groups.findGroup(job, taskGroup);
    if (!group) return [];
    const docs: T[] = [];
    for (let i = 0; i < group.count; i += PARALLEL_READS) {
      const names = Array.from({ length: Math.min(PARALLEL_READS, group.count - i) }, (_, k) => taskName(job, taskGroup, i + k));
      const found = await Promise.all(names.map((_id) => this.conn.run((db) => this.tasks(db).findOne({ _id }, projection ? { projection } : {}) as Promise<T | null>)));
      // A task of another job or group under this name cannot exist (names hold both); a missing one is skipped, as the query would.
      for (const d of found) if (d && d.job === job && d.task_group === taskGroup) docs.push(d);
    }
    return docs;
  }

  /**
   * Task notebooks whose name (`tasks/<nb>/<group>-<i>.ipynb`) starts with `prefix`, by name;
   * sha256 and size are those of the main notebook each is rendered from.
   */
  async listTaskNotebooks(prefix: string): Promise<INotebookInfo[]> {
    await this.groups.ensureAllMaterialized();
    const prefixRe = prefixRegex(prefix.replace(/\.ipynb$/, ''));
    const docs = await this.conn.run((db) =>
      this.tasks(db)
        .find({ _id: { $regex: prefixRe } }, { projection: { _id: 1, main_sha256: 1, created: 1, updated: 1 } })
        .sort({ _id: 1 })
        .toArray()
    );
    const sizes = await this.blobs.sizes([...new Set(docs.map((d) => d.main_sha256))]);
    const out: INotebookInfo[] = [];
    for (const d of docs) {
      const name = taskNotebookPath(d._id);
      if (!name.startsWith(prefix)) continue;
      out.push({ name, sha256: d.main_sha256, size: sizes.get(d.main_sha256) ?? 0, created: d.created, modified: d.updated });
    }
    return out;
  }

  /** A task by name (`.ipynb` optional). @throws NotFoundError */
  async get(taskName: string): Promise<ITask> {
    return toTask(await this.getDoc(taskName));
  }

  /** A task by name with its parameter and returned value as stored JSON text. @throws NotFoundError */
  async getExact(taskName: string): Promise<IExactTask> {
    return toExactTask(await this.getDoc(taskName));
  }

  private async getDoc(taskName: string): Promise<ITaskDoc> {
    const name = stripIpynb(taskName);
    let doc = await this.conn.run((db) => this.tasks(db).findOne({ _id: name }));
    if (!doc && (await this.groups.materializeOne(name))) doc = await this.conn.run((db) => this.tasks(db).findOne({ _id: name }));
    if (!doc) throw new NotFoundError(`task '${name}' does not exist; job.status() (nbgrid status <job>) lists a job's tasks`);
    return doc;
  }
}
