/**
 * The status index in use: keeps a group's rows in Redis (`StatusIndex`) in step with the task
 * documents after every write, and answers `status()` from it, falling back to MongoDB whenever
 * the index is missing, stale or unreachable. Without an index every read goes to MongoDB.
 * Beside each row, an OK task's returned and glued values go to the results read model
 * (`results-read-model.ts`), when there is one.
 */
import { statusRow } from '../domain/status-row';
import type { IStatusRow } from '../domain/types';
import { toTaskSummary, type ITaskSummaryDoc } from './documents';
import type { ResultsReadModel } from './results-read-model';
import type { IIndexedRow, StatusIndex } from './status-index';

/** Reads a group's task documents (without parameter and result bytes) from MongoDB, in map order. */
export type SummaryReader = (job: string, taskGroup: string) => Promise<ITaskSummaryDoc[]>;

/** The status row of a task document and the revision it was built from. */
function indexedRow(doc: ITaskSummaryDoc): IIndexedRow {
  return { rev: doc.rev ?? 0, row: statusRow(toTaskSummary(doc)) };
}

export class IndexedStatus {
  /** Groups whose index is being rebuilt by this process (one rebuild per group at a time). */
  private readonly rebuilding = new Map<string, Promise<IStatusRow[]>>();

  constructor(
    /** Status rows kept in Redis; without it status reads MongoDB. */
    private readonly index: StatusIndex | undefined,
    private readonly readSummaries: SummaryReader,
    private readonly log: (line: string) => void = () => undefined,
    /** Returned and glued values of OK tasks, for results tables; without it tables read MongoDB. */
    private readonly results?: ResultsReadModel
  ) {}

  /**
   * Run an index write; on failure (Redis unreachable) drop the group's index if possible, so
   * readers go back to MongoDB rather than read a row that missed this change.
   */
  private async guard(taskGroup: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      this.log(`status index of group ${taskGroup} not updated (${err instanceof Error ? err.message : String(err)})`);
      await this.index?.drop(taskGroup).catch(() => undefined);
    }
  }

  /** Index every row of a group just created (revision 0 each): its first full build. */
  async build(taskGroup: string, docs: ITaskSummaryDoc[]): Promise<void> {
    const index = this.index;
    if (!index) return;
    await this.guard(taskGroup, async () => {
      const token = await index.begin(taskGroup);
      await index.complete(taskGroup, token, docs.map((d) => ({ rev: 0, row: statusRow(toTaskSummary(d)) })));
    });
    await this.results?.putDocs(docs, this.log);
  }

  /** Put a changed document's row in the index (a no-op without one). */
  async put(doc: ITaskSummaryDoc): Promise<void> {
    const index = this.index;
    if (index) await this.guard(doc.task_group, () => index.apply(doc.task_group, [indexedRow(doc)]));
    await this.results?.putDocs([doc], this.log);
  }

  /** Put the rows of documents of one group changed by a bulk write, as written (a no-op without an index). */
  async putMany(taskGroup: string, docs: ITaskSummaryDoc[]): Promise<void> {
    const index = this.index;
    if (index && docs.length > 0) await this.guard(taskGroup, () => index.apply(taskGroup, docs.map(indexedRow)));
  }

  /** Drop the index of a group after a bulk update that returned no documents. */
  async drop(taskGroup: string): Promise<void> {
    const index = this.index;
    if (index) await this.guard(taskGroup, () => index.drop(taskGroup));
  }

  /**
   * Status rows of one group in `job_id` order, as the JSON text of an array: from the index when
   * it is complete (and rebuilt in the background when its last build is older than its refresh
   * interval), else read from MongoDB and the index rebuilt from that read.
   */
  async json(job: string, taskGroup: string): Promise<string> {
    if (!this.index) return JSON.stringify(await this.fromMongo(job, taskGroup));
    let cached: { json: string; built: number } | null = null;
    try {
      cached = await this.index.readJson(taskGroup);
    } catch (err) {
      this.log(`status index unreadable (${err instanceof Error ? err.message : String(err)}); reading MongoDB`);
      return JSON.stringify(await this.fromMongo(job, taskGroup));
    }
    if (!cached) return JSON.stringify(await this.rebuild(job, taskGroup));
    if (Date.now() - cached.built > this.index.refreshMs) void this.rebuild(job, taskGroup).catch(() => undefined);
    return cached.json;
  }

  private async fromMongo(job: string, taskGroup: string): Promise<IStatusRow[]> {
    return (await this.readSummaries(job, taskGroup)).map((d) => statusRow(toTaskSummary(d)));
  }

  /** Rebuild a group's index from MongoDB; returns the rows read. One rebuild per group at a time. */
  private rebuild(job: string, taskGroup: string): Promise<IStatusRow[]> {
    const running = this.rebuilding.get(taskGroup);
    if (running) return running;
    const index = this.index as StatusIndex;
    const work = (async () => {
      let token: string | null = null;
      try {
        token = await index.begin(taskGroup);
      } catch {
        // Redis unreachable: answer from MongoDB alone.
      }
      const rows = (await this.readSummaries(job, taskGroup)).map(indexedRow);
      if (token !== null) {
        const t = token;
        await this.guard(taskGroup, async () => {
          await index.complete(taskGroup, t, rows);
        });
      }
      return rows.map((r) => r.row);
    })().finally(() => this.rebuilding.delete(taskGroup));
    this.rebuilding.set(taskGroup, work);
    return work;
  }
}
