/**
 * The cached tasks of a map, kept in its group document (`cached_tasks`, JSON bytes: one
 * `[job_id, task, results, result|null]` per cached task), so every way a task document is made
 * from its group — the map's own materialization, a reader creating the group's documents, a
 * single task created on first read — makes a cached task SUCCESS / OK with `cached_from`, and the
 * group's status rows are built that way from the start. One write per map, like the parameters.
 */
import { Binary } from 'mongodb';
import type { ICachedTask } from '../domain/task-cache';
import type { IJobRun } from '../domain/types';
import { binaryBytes, type ITaskDoc, type ITaskGroupDoc } from './documents';

/** Worker name of a cached task's run: it did not run anywhere. */
export const CACHE_WORKER = 'cache';

type Packed = [number, string, string | null, string | null];

/** The group field holding `cached`. */
export function packCached(cached: ICachedTask[]): Binary {
  const rows = cached.map((c) => {
    const result = c.entry.result ? Buffer.from(c.entry.result).toString('utf8') : null;
    return `[${c.job_id},${JSON.stringify(c.entry.task)},${JSON.stringify(c.entry.results)},${result === null ? 'null' : JSON.stringify(result)}]`;
  });
  return new Binary(Buffer.from(`[${rows.join(',')}]`, 'utf8'));
}

/** `docs` (task documents of `group` as `map()` makes them) with the group's cached tasks made SUCCESS / OK; changed in place. */
export function applyCached(group: Pick<ITaskGroupDoc, 'cached_tasks' | 'created'>, docs: ITaskDoc[]): ITaskDoc[] {
  if (!group.cached_tasks || docs.length === 0) return docs;
  const packed = JSON.parse(Buffer.from(binaryBytes(group.cached_tasks)).toString('utf8')) as Packed[];
  const byId = new Map(packed.map((p) => [p[0], p]));
  for (const doc of docs) {
    const hit = byId.get(doc.job_id);
    if (!hit) continue;
    const [, task, results, result] = hit;
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
  const packed = JSON.parse(Buffer.from(binaryBytes(cached)).toString('utf8')) as Packed[];
  return packed.map((p) => p[2]).filter((r): r is string => typeof r === 'string');
}
