/**
 * The check that closes the race between `map(cache=True)` and the clean-up of the group whose
 * run a cached task reuses. The clean-up forgets a group's cache entries first, and only then
 * reads which result notebooks the stored groups' cached tasks name, to keep those
 * (retention/group-cleaner.ts). A map reads the cache first, stores its group, and only then
 * reads its hits again (this check). So either the check sees a hit gone (or now naming another
 * run), and the map is taken back and stored again without it, or the clean-up's read sees the
 * new group and keeps the result notebooks its cached tasks reuse: by the order of the two
 * writes and reads, never by timing.
 */
import type { ICacheEntry, ITaskCache } from '../domain/task-cache';

/** A map's cache hits changed after its lookup; it is stored again (never shown to a caller). */
export class StaleCacheHitsError extends Error {
  constructor(job: string) {
    super(`cache entries of job '${job}' changed while the map was stored`);
    this.name = this.constructor.name;
  }
}

/** Whether every hit of a map's lookup still names the same run (one lookup of the hits' keys). */
export async function hitsStillCached(cache: ITaskCache, job: string, hits: ReadonlyMap<number, ICacheEntry>): Promise<boolean> {
  if (hits.size === 0) return true;
  const now = await cache.lookup(job, [...new Set([...hits.values()].map((e) => e.key))]);
  for (const entry of hits.values()) if (now.get(entry.key)?.task !== entry.task) return false;
  return true;
}
