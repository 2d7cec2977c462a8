/**
 * A reduce task's notebook: rendered like any task notebook (its parameter is the reduce input),
 * then its injected cell makes `job` that input itself, so the notebook reads
 * `job['results']`, `job['params']`, `job['status']`, `job['failed']` and `job['task_group']`
 * (the mapped group), plus `task_name` (its own task).
 */
import { INJECTED_TAG } from './inject-parameters';

type JsonObject = Record<string, unknown>;

/** The line appended to a reduce task's injected cell. */
export const REDUCE_JOB_LINE = "job = dict(job['param'], task_name=job['task_name'])\n";

/** `nb` (a rendered task notebook, changed in place and returned) with `job` set to the reduce input. */
export function asReduceNotebook(nb: JsonObject): JsonObject {
  const cells = Array.isArray(nb.cells) ? (nb.cells as JsonObject[]) : [];
  const cell = cells.find((c) => {
    const tags = (c?.metadata as { tags?: unknown } | undefined)?.tags;
    return Array.isArray(tags) && tags.includes(INJECTED_TAG);
  });
  if (!cell) return nb;
  const source = Array.isArray(cell.source) ? cell.source.join('') : String(cell.source ?? '');
  cell.source = (source.endsWith('\n') ? source : `${source}\n`) + REDUCE_JOB_LINE;
  return nb;
}
