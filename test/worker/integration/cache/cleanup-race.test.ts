/**
 * `map(cache=True)` racing the clean-up of the group whose runs it reuses (FerretDB v1, the local
 * default): the clean-up completes between the map's cache lookup and the insert of its group,
 * the window where the map holds hits whose result notebooks the clean-up is deleting. The map
 * sees its hits gone when it reads them again after storing its group (cache/stale-hits.ts), takes
 * that group back and is stored again: its tasks run for real, and no stored group's cached task
 * names a result notebook that is gone. A clean-up after the map's group was stored keeps the
 * result notebooks its cached tasks reuse.
 */
import { randomUUID } from 'node:crypto';
import { rememberOkRun } from '../../../../worker/src/cache/cache-map';
import type { ITaskPublisher } from '../../../../worker/src/domain/ports';
import type { ICacheEntry, ITaskCache } from '../../../../worker/src/domain/task-cache';
import type { IJobRun, JsonValue } from '../../../../worker/src/domain/types';
import { JobService } from '../../../../worker/src/jobs/job-service';
import { cachedResults } from '../../../../worker/src/retention/cached-references';
import { GroupCleaner } from '../../../../worker/src/retention/group-cleaner';
import { Collections } from '../../../../worker/src/storage/collections';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { startFerretDb } from '../storage/ferretdb';

let mongo: { url: string; stop(): Promise<void> };
let store: NbgridStore;
let cleaner: GroupCleaner;
/** Runs once, between the next lookup and its return (then disarmed). */
let betweenLookupAndInsert: (() => Promise<void>) | null = null;
const published: string[][] = [];

const publisher: ITaskPublisher = {
  async publishMany(messages: { taskId: string }[]): Promise<void> {
    published.push(messages.map((m) => m.taskId));
  },
  async revoke(): Promise<void> {}
};

/** The store's cache, with the clean-up slipped in after the map's lookup read its hits. */
function racingCache(inner: ITaskCache): ITaskCache {
  return {
    async lookup(job: string, keys: string[]): Promise<Map<string, ICacheEntry>> {
      const found = await inner.lookup(job, keys);
      const hook = betweenLookupAndInsert;
      betweenLookupAndInsert = null;
      if (hook) await hook();
      return found;
    },
    record: (...args) => inner.record(...args)
  };
}

const nb = notebook([PARAM_CELL, "job['result'] = job['param'] * 2"]);
let svc: JobService;

beforeAll(async () => {
  mongo = await startFerretDb();
  store = await NbgridStore.open(mongo.url, { dbName: `race_${randomUUID().slice(0, 8)}` });
  cleaner = new GroupCleaner(store.connection, (g) => store.tasks.deleteGroup(g), (job, g) => store.cache.forgetGroup(job, g));
  svc = new JobService({ store, publisher, liveWorkers: async () => [], emit: () => undefined, cache: racingCache(store.cache) });
  await svc.putNotebook('race', nb);
}, 120000);

afterAll(async () => {
  await store?.close();
  await mongo?.stop();
});

function okRun(taskId: string): IJobRun {
  return { status: 'OK', ts: new Date().toISOString(), message: '', results: null, duration: 0.1, worker: 'w', attempt: 1, task_id: taskId };
}

/** A group of `params` whose tasks ran OK with a result notebook each, remembered by the cache as a worker does. */
async function ranGroup(params: number[]): Promise<string> {
  const m = await svc.map('race', { params });
  await svc.settled();
  for (const [i, t] of m.tasks.entries()) {
    const done = await store.runs.recordRun(t.name, okRun(t.task_id), nb, (params[i] * 2) as JsonValue);
    if (!done) throw new Error(`run of ${t.name} not recorded`);
    await rememberOkRun(store.cache, done, nb, undefined, params[i] * 2);
  }
  return m.task_group;
}

/** Result notebook names that stored groups' cached tasks reuse but that are no longer stored. */
async function danglingResults(): Promise<string[]> {
  const db = store.connection.db;
  const named = [...(await cachedResults(db))];
  const stored = new Set((await db.collection<{ _id: string }>(Collections.results).find({}, { projection: { _id: 1 } }).toArray()).map((r) => r._id));
  return named.filter((n) => !stored.has(n));
}

describe('map(cache=True) racing the clean-up of the runs it reuses', () => {
  it('is stored again without the hits the clean-up took between its lookup and its insert', async () => {
    const source = await ranGroup([1, 2, 3]);
    betweenLookupAndInsert = async () => {
      await cleaner.delete(source);
    };
    const m = await svc.map('race', { params: [1, 2, 3, 4], cache: true });
    await svc.settled();
    expect(betweenLookupAndInsert).toBeNull(); // the clean-up ran inside the map
    // nothing reused: every task queued, none recorded from the deleted runs
    expect(m.cached).toBe(0);
    expect(published[published.length - 1]).toHaveLength(4);
    const rows = await svc.status('race', m.task_group);
    expect(rows.map((r) => [r.status, r.cached_from ?? null])).toEqual([1, 2, 3, 4].map(() => ['PENDING', null]));
    // the group first stored with the stale hits was taken back
    const groups = await svc.groups('race');
    expect(groups.map((g) => g.task_group)).toEqual([m.task_group]);
    expect(await danglingResults()).toEqual([]);
  });

  it('keeps the result notebooks a stored cached map reuses when the clean-up comes after its insert', async () => {
    const source = await ranGroup([5, 6]);
    const m = await svc.map('race', { params: [5, 6, 7], cache: true });
    await svc.settled();
    expect(m.cached).toBe(2);
    const report = await cleaner.delete(source);
    expect(report.keptResults).toBe(2);
    expect(await danglingResults()).toEqual([]);
    const results = await svc.results('race', m.task_group);
    expect(results.results).toEqual([10, 12, null]);
  });
});
