/**
 * Result notebooks reused by cached tasks. A `map(cache=True)` records a cached task with the
 * SOURCE run's result notebook name, without copying it, and that notebook's `results` document
 * carries the source's `task_group`. So the clean-up keeps a deleted group's result documents (and
 * so their blobs) while a surviving group's cached tasks name them, and deletes them with the
 * last group that does.
 */
import type { Db } from 'mongodb';
import { cachedResultNames } from '../storage/cached-tasks';
import { Collections } from '../storage/collections';
import type { ITaskGroupDoc } from '../storage/documents';

/** Result notebook names the cached tasks of every group except `without` reuse. */
export async function cachedResults(db: Db, without: readonly string[] = []): Promise<Set<string>> {
  const out = new Set<string>();
  const filter = without.length > 0 ? { cached_tasks: { $exists: true }, _id: { $nin: [...without] } } : { cached_tasks: { $exists: true } };
  const groups = db.collection<ITaskGroupDoc>(Collections.taskGroups).find(filter, { projection: { cached_tasks: 1 } });
  for await (const g of groups) if (g.cached_tasks) for (const name of cachedResultNames(g.cached_tasks)) out.add(name);
  return out;
}
