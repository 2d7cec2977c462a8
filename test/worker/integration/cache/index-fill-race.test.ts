/**
 * The cache's Redis lookup index (storage/cache-index.ts) refilled from MongoDB while the clean-up
 * forgets a group's entries (real Redis and FerretDB): a fill that read MongoDB before the entries
 * were deleted must not write them back after the clean-up removed them from Redis (a later map
 * would reuse runs whose result notebooks are deleted). Its writes are refused, the lookup reads
 * MongoDB instead, and the next lookup fills the index without them.
 */
import { Collections } from '../../../../worker/src/storage/collections';
import { useCacheStores } from './support/cache-stores';

const JOB = 'fill';
const stores = useCacheStores('fill');

/** The entries as MongoDB holds them, the way a fill reads them. */
async function recordEntries(): Promise<[string, string][]> {
  const docs = await stores.store.connection.db.collection<{ key: string; task: string; results: string | null }>(Collections.taskCache).find({ job: JOB }).toArray();
  return docs.map((d) => [d.key, JSON.stringify({ t: d.task, r: d.results })]);
}

describe('cache index fill racing the clean-up', () => {
  it('refuses a fill that read entries the clean-up then forgot, and refills without them', async () => {
    // runs of two groups: 'aaaaaaaa' is about to be deleted, 'bbbbbbbb' stays
    await stores.cache.record(JOB, { name: `tasks/${JOB}/aaaaaaaa-0` }, 'k-gone', `results/tasks/${JOB}/aaaaaaaa-0.ipynb_t.ipynb`, 1);
    await stores.cache.record(JOB, { name: `tasks/${JOB}/bbbbbbbb-0` }, 'k-kept', `results/tasks/${JOB}/bbbbbbbb-0.ipynb_t.ipynb`, 2);
    await stores.index.drop(JOB); // Redis lost the index: the next lookup fills it

    // a lookup's fill: token taken, MongoDB read (both entries) ...
    const token = await stores.index.beginFill(JOB);
    const stale = await recordEntries();
    expect(stale.map(([k]) => k).sort()).toEqual(['k-gone', 'k-kept']);
    // ... the clean-up of group aaaaaaaa forgets its entries (MongoDB, then Redis) ...
    expect(await stores.cache.forgetGroup(JOB, 'aaaaaaaa')).toBe(1);
    // ... and the fill's writes come after: refused, the hash is not built
    expect(await stores.index.fill(JOB, token, stale)).toBe(false);
    expect(await stores.index.get(JOB, ['k-gone'])).toBeNull();
    expect(await stores.redis.hget(`${(stores.index as unknown as { prefix: string }).prefix}${JOB}`, 'k-gone')).toBeNull();

    // the next lookup fills it from MongoDB as it is now
    const found = await stores.cache.lookup(JOB, ['k-gone', 'k-kept']);
    expect([...found.keys()]).toEqual(['k-kept']);
    expect(await stores.index.get(JOB, ['k-gone', 'k-kept'])).toEqual([null, expect.stringContaining('bbbbbbbb-0')]);
  });

  it('lets a fill that was not cancelled build the index in chunks', async () => {
    for (let i = 0; i < 2500; i++) await stores.store.connection.db.collection(Collections.taskCache).insertOne({ _id: `${JOB}2:k${i}`, job: `${JOB}2`, key: `k${i}`, task: `tasks/${JOB}2/cccccccc-${i}`, results: null, updated: '' } as never);
    const found = await stores.cache.lookup(`${JOB}2`, ['k0', 'k1234', 'k2499', 'nope']);
    expect([...found.keys()]).toEqual(['k0', 'k1234', 'k2499']);
    expect((await stores.index.get(`${JOB}2`, ['k2499']))?.[0]).toContain('cccccccc-2499');
    expect(stores.logged).toEqual([]);
  });
});
