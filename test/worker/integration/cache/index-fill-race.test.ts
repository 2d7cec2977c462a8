/**
 * The cache's Redis lookup index (storage/cache-index.ts) refilled from MongoDB while the clean-up
 * forgets a group's entries (real Redis and FerretDB): a fill that read MongoDB before the entries
 * were deleted must not write them back after the clean-up removed them from Redis (a later map
 * would reuse runs whose result notebooks are deleted). Its writes are refused, the lookup reads
 * MongoDB instead, and the next lookup fills the index without them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startRedis, type IStartedService } from '../../../../worker/src/stack';
import { CacheIndex } from '../../../../worker/src/storage/cache-index';
import { Collections } from '../../../../worker/src/storage/collections';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { TaskCache } from '../../../../worker/src/storage/task-cache';
import { startFerretDb } from '../storage/ferretdb';

let mongo: { url: string; stop(): Promise<void> };
let redisService: IStartedService;
let redisDir: string;
let redis: Redis;
let store: NbgridStore;
let index: CacheIndex;
let cache: TaskCache;
const JOB = 'fill';
const logged: string[] = [];

beforeAll(async () => {
  mongo = await startFerretDb();
  redisDir = await mkdtemp(join(tmpdir(), 'nbgrid-cache-fill-redis-'));
  redisService = await startRedis({ dir: redisDir });
  redis = new Redis(redisService.url);
  store = await NbgridStore.open(mongo.url, { dbName: `fill_${randomUUID().slice(0, 8)}` });
  index = new CacheIndex(redis, { prefix: `test:cache:${randomUUID().slice(0, 8)}:` });
  cache = new TaskCache(store.connection, index, (line) => logged.push(line));
}, 120000);

afterAll(async () => {
  redis?.disconnect();
  await store?.close();
  await redisService?.stop();
  await mongo?.stop();
  if (redisDir) await rm(redisDir, { recursive: true, force: true });
});

/** The entries as MongoDB holds them, the way a fill reads them. */
async function recordEntries(): Promise<[string, string][]> {
  const docs = await store.connection.db.collection<{ key: string; task: string; results: string | null }>(Collections.taskCache).find({ job: JOB }).toArray();
  return docs.map((d) => [d.key, JSON.stringify({ t: d.task, r: d.results })]);
}

describe('cache index fill racing the clean-up', () => {
  it('refuses a fill that read entries the clean-up then forgot, and refills without them', async () => {
    // runs of two groups: 'aaaaaaaa' is about to be deleted, 'bbbbbbbb' stays
    await cache.record(JOB, { name: `tasks/${JOB}/aaaaaaaa-0` }, 'k-gone', `results/tasks/${JOB}/aaaaaaaa-0.ipynb_t.ipynb`, 1);
    await cache.record(JOB, { name: `tasks/${JOB}/bbbbbbbb-0` }, 'k-kept', `results/tasks/${JOB}/bbbbbbbb-0.ipynb_t.ipynb`, 2);
    await index.drop(JOB); // Redis lost the index: the next lookup fills it

    // a lookup's fill: token taken, MongoDB read (both entries) ...
    const token = await index.beginFill(JOB);
    const stale = await recordEntries();
    expect(stale.map(([k]) => k).sort()).toEqual(['k-gone', 'k-kept']);
    // ... the clean-up of group aaaaaaaa forgets its entries (MongoDB, then Redis) ...
    expect(await cache.forgetGroup(JOB, 'aaaaaaaa')).toBe(1);
    // ... and the fill's writes come after: refused, the hash is not built
    expect(await index.fill(JOB, token, stale)).toBe(false);
    expect(await index.get(JOB, ['k-gone'])).toBeNull();
    expect(await redis.hget(`${(index as unknown as { prefix: string }).prefix}${JOB}`, 'k-gone')).toBeNull();

    // the next lookup fills it from MongoDB as it is now
    const found = await cache.lookup(JOB, ['k-gone', 'k-kept']);
    expect([...found.keys()]).toEqual(['k-kept']);
    expect(await index.get(JOB, ['k-gone', 'k-kept'])).toEqual([null, expect.stringContaining('bbbbbbbb-0')]);
  });

  it('lets a fill that was not cancelled build the index in chunks', async () => {
    for (let i = 0; i < 2500; i++) await store.connection.db.collection(Collections.taskCache).insertOne({ _id: `${JOB}2:k${i}`, job: `${JOB}2`, key: `k${i}`, task: `tasks/${JOB}2/cccccccc-${i}`, results: null, updated: '' } as never);
    const found = await cache.lookup(`${JOB}2`, ['k0', 'k1234', 'k2499', 'nope']);
    expect([...found.keys()]).toEqual(['k0', 'k1234', 'k2499']);
    expect((await index.get(`${JOB}2`, ['k2499']))?.[0]).toContain('cccccccc-2499');
    expect(logged).toEqual([]);
  });
});
