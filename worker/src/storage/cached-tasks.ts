/**
 * The cached tasks of a map, kept in its group document (`cached_tasks`, JSON bytes: one
 * `[job_id, task, results, result|null]` per cached task), so every way a task document is made
 * from its group — the map's own materialization, a reader creating the group's documents, a
 * single task created on first read — makes a cached task SUCCESS / OK with `cached_from`, and the
 * group's status rows are built that way from the start. One write per map, like the parameters.
 * When the returned values together exceed `INLINE_CACHED_RESULTS_LIMIT` they go to one blob
 * (`cached_results_sha256`, a JSON array of `result|null` in row order) and each row is
 * `[job_id, task, results]`: a group document stays far below MongoDB's 16 MB whatever the tasks
 * returned, and group reads do not carry the values.
 */
import { Binary } from 'mongodb';
import type { ICachedTask } from '../domain/task-cache';
import type { IJobRun } from '../domain/types';
import { binaryBytes, type ITaskDoc, type ITaskGroupDoc } from './documents';

/** Worker name of a cached task's run: it did not run anywhere. */
export const CACHE_WORKER = 'cache';

/** Returned values of a map's cached tasks kept in the group document up to this many bytes in all. */
export const INLINE_CACHED_RESULTS_LIMIT = 1024 * 1024;

/** A row: the 4th element is the returned value's JSON text (null: none); absent when the values are in a blob. */
type Packed = [number, string, string | null, (string | null)?];

/** The values of a group's cached tasks (each one's JSON text, null: none), in row order. */
export type CachedResults = (string | null)[];

/** What a map stores for its cached tasks: the group field, and the values' blob when they are large. */
export interface IPackedCached {
  /** The group's `cached_tasks`. */
  rows: Binary;
  /** The values, when not in `rows`: the bytes of the blob to store (`cached_results_sha256`) and the values. */
  results?: { blob: Buffer; values: CachedResults };
}

/** The group field holding `cached` (and the values' blob when they are over `INLINE_CACHED_RESULTS_LIMIT`). */
export function packCached(cached: ICachedTask[], inlineLimit = INLINE_CACHED_RESULTS_LIMIT): IPackedCached {
  const values: CachedResults = cached.map((c) => (c.entry.result ? Buffer.from(c.entry.result).toString('utf8') : null));
  const inline = values.reduce((sum, v) => sum + (v === null ? 0 : v.length), 0) <= inlineLimit;
  const rows = cached.map((c, i) => {
    const head = `[${c.job_id},${JSON.stringify(c.entry.task)},${JSON.stringify(c.entry.results)}`;
    const value = values[i];
    return inline ? `${head},${value === null ? 'null' : JSON.stringify(value)}]` : `${head}]`;
  });
  const packed = new Binary(Buffer.from(`[${rows.join(',')}]`, 'utf8'));
  return inline ? { rows: packed } : { rows: packed, results: { blob: Buffer.from(JSON.stringify(values), 'utf8'), values } };
}

/** The values of the blob `cached_results_sha256` (see `packCached`). */
export function unpackCachedResults(bytes: Uint8Array): CachedResults {
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as CachedResults;
}

function unpack(cached: Binary): Packed[] {
  return JSON.parse(Buffer.from(binaryBytes(cached)).toString('utf8')) as Packed[];
}

/** Whether task `jobId` of the group is a cached one (before reading the values' blob for it). */
export function isCachedTask(group: Pick<ITaskGroupDoc, 'cached_tasks'>, jobId: number): boolean {
  return group.cached_tasks ? unpack(group.cached_tasks).some((p) => p[0] === jobId) : false;
}

/**
 * `docs` (task documents of `group` as `map()` makes them) with the group's cached tasks made SUCCESS / OK; changed in place.
 * @param values the values of the group's blob `cached_results_sha256`, when it has one
 */
export function applyCached(group: Pick<ITaskGroupDoc, 'cached_tasks' | 'cached_results_sha256' | 'created'>, docs: ITaskDoc[], values?: CachedResults): ITaskDoc[] {
  if (!group.cached_tasks || docs.length === 0) return docs;
  const packed = unpack(group.cached_tasks);
  const byId = new Map(packed.map((p, i) => [p[0], i]));
  for (const doc of docs) {
    const row = byId.get(doc.job_id);
    if (row === undefined) continue;
    const [, task, results, inline] = packed[row];
    if (group.cached_results_sha256 && values?.length !== packed.length) {
      throw new Error(`the returned values of the cached tasks (blob ${group.cached_results_sha256}) were not read`);
    }
    const result = (group.cached_results_sha256 && values ? values[row] : inline) ?? null;
    const run: IJobRun = {
      status: 'OK',
      ts: group.created,
      message: `cached: the inputs are those of ${task}, whose OK run (result and result notebook) this task reuses`,
      results,
      duration: 0,
      worker: CACHE_WORKER,
      attempt: 1,
      task_id: doc.task_id
    };
    Object.assign(doc, {
      state: 'SUCCESS',
      run_status: 'OK',
      job_runs: [run],
      run_keys: [`cache:${doc.task_id}:1`],
      runs_total: 1,
      worker: CACHE_WORKER,
      cached_from: task,
      ...(result !== null ? { result: new Binary(Buffer.from(result, 'utf8')) } : {})
    });
  }
  return docs;
}

/** The result notebook names a group's cached tasks reuse (what the clean-up must keep while the group lives). */
export function cachedResultNames(cached: Binary): string[] {
  return unpack(cached).map((p) => p[2]).filter((r): r is string => typeof r === 'string');
}
