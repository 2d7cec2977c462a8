/**
 * A read model of task groups' returned and glued values in Redis, beside the status index
 * (`status-index.ts`), so a results table of a 10,000-task group is one HGETALL here, one of the
 * status index and the group's parameter array, instead of 10,000 task documents read from
 * MongoDB (FerretDB v1 decodes each in Go: 6 s for the group on the local default).
 *
 * MongoDB stays the system of record. A row holds the values of one OK run and that run's task id
 * (`result-row.ts`): a task id never gets two OK runs, so a row is current for a status row exactly
 * when both name the same task id, whatever happened in between. Rows are written after the task
 * document (by whoever wrote it: the worker recording a run, a map's cached tasks, a reader that
 * found a row missing), and a write replaces a row only with one from a higher document revision,
 * so writes arriving out of order converge. Nothing is ever served on trust: a reader checks each
 * OK status row's task id against its row, and reads the tasks whose row is missing (Redis
 * flushed or restarted, a writer that died between its two writes), stale (restarted since) or
 * too large from MongoDB, then writes them here. So there is no completeness marker to keep right.
 *
 * Layout: hash `nbgrid:results:v1:<group>` with field `<job_id>` → the encoded row. The `v1` in the
 * prefix is the encoding: another encoding lives under another key and is rebuilt, never misread.
 */
import type Redis from 'ioredis';
import type { Binary } from 'mongodb';
import { binaryBytes, type ITaskSummaryDoc } from './documents';
import { decodeResultRow, encodeResultRow, MAX_ROW_VALUE_CHARS, type IResultRow } from './result-row';

export interface IResultsReadModelOptions {
  /** Key prefix. @defaultValue 'nbgrid:results:v1:' */
  prefix?: string;
  /** A group's hash expires this long after its last write, in seconds (as the status index's). @defaultValue 86400 */
  ttlSeconds?: number;
  /** Characters of result and glued values kept per row; a larger row is read from MongoDB. @defaultValue 4096 */
  maxRowChars?: number;
}

/** A row to write: the task's `job_id` and its values. */
export interface IResultRowWrite extends IResultRow {
  job_id: number;
}

// Set fields ARGV[2..] (triples job_id, rev, value) where the stored row's revision is lower; ARGV[1] ttl.
const MERGE_SCRIPT = `
for i = 2, #ARGV, 3 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  local newer = true
  if cur then
    local r = tonumber(string.match(cur, '^(%d+)|'))
    if r and r > tonumber(ARGV[i + 1]) then newer = false end
  end
  if newer then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2]) end
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`;

/**
 * What a row is made of: a whole task document, as a write returned it. Typed loosely because
 * the status index's callers hold them as summaries; a document read without its values (no
 * `param`: a projection left the values out) makes no row.
 */
export type ResultRowSource = Pick<ITaskSummaryDoc, 'task_group' | 'job_id' | 'task_id' | 'run_status' | 'rev' | 'scraps'> & { param?: Binary; result?: Binary };

/**
 * The row of a whole task document whose run status is OK, else null: other tasks show no values,
 * and a document read without its values cannot tell "returned nothing" from "not read" (its
 * row, when a table needs it, is read from MongoDB).
 */
export function resultRowOf(doc: ResultRowSource): IResultRowWrite | null {
  if (doc.run_status !== 'OK' || typeof doc.task_id !== 'string' || !('param' in doc) || doc.param === undefined) return null;
  const row: IResultRowWrite = { job_id: doc.job_id, rev: doc.rev ?? 0, task_id: doc.task_id };
  if (doc.result) row.result = Buffer.from(binaryBytes(doc.result)).toString('utf8');
  if (doc.scraps) row.scraps = Buffer.from(binaryBytes(doc.scraps)).toString('utf8');
  return row;
}

/** Rows per script call: keeps one call's arguments (and Redis' pause) small. */
const CHUNK = 2000;

export class ResultsReadModel {
  private readonly prefix: string;
  private readonly ttl: number;
  readonly maxRowChars: number;

  constructor(private readonly redis: Redis, options: IResultsReadModelOptions = {}) {
    this.prefix = options.prefix ?? 'nbgrid:results:v1:';
    this.ttl = options.ttlSeconds ?? 86400;
    this.maxRowChars = options.maxRowChars ?? MAX_ROW_VALUE_CHARS;
  }

  /** The Redis key of a group's rows. */
  key(taskGroup: string): string {
    return this.prefix + taskGroup;
  }

  /** Write rows of one group (each only over an older row of the same task). */
  async put(taskGroup: string, rows: IResultRowWrite[]): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const args: string[] = [String(this.ttl)];
      for (const row of rows.slice(i, i + CHUNK)) args.push(String(row.job_id), String(row.rev), encodeResultRow(row, this.maxRowChars));
      await this.redis.eval(MERGE_SCRIPT, 1, this.key(taskGroup), ...args);
    }
  }

  /**
   * Write the rows of task documents just written to MongoDB (those with an OK run; no Redis call
   * when there is none). Never throws: a row that is not written is read from MongoDB when needed,
   * so a failure is only logged.
   */
  async putDocs(docs: ResultRowSource[], log: (line: string) => void = () => undefined): Promise<void> {
    const byGroup = new Map<string, IResultRowWrite[]>();
    for (const doc of docs) {
      const row = resultRowOf(doc);
      if (!row) continue;
      const rows = byGroup.get(doc.task_group) ?? [];
      rows.push(row);
      byGroup.set(doc.task_group, rows);
    }
    for (const [taskGroup, rows] of byGroup) {
      await this.put(taskGroup, rows).catch((err: unknown) => {
        log(`results read model of group ${taskGroup} not updated (${err instanceof Error ? err.message : String(err)}); its tables read those tasks from MongoDB`);
      });
    }
  }

  /** The group's rows by `job_id` (rows that do not decode are left out: they count as missing). */
  async read(taskGroup: string): Promise<Map<number, IResultRow>> {
    const hash = await this.redis.hgetall(this.key(taskGroup));
    const rows = new Map<number, IResultRow>();
    for (const [field, value] of Object.entries(hash)) {
      const row = decodeResultRow(value);
      if (row) rows.set(Number(field), row);
    }
    return rows;
  }

  /** Forget a group's rows (the group was deleted). */
  async drop(taskGroup: string): Promise<void> {
    await this.redis.del(this.key(taskGroup));
  }
}
