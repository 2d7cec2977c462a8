/**
 * A map's cache lookup (storage/task-cache.ts) with returned values too large for the Redis index
 * (over 64 KB each: read from MongoDB by `_id`, several at a time) beside small ones (in the
 * index), on real Redis and FerretDB: every hit comes back with its value byte for byte, misses
 * stay misses, and the lookup gives the same answer with the index and without it.
 */
import { JsonText } from '../../../../worker/src/domain/json-bytes';
import { TaskCache } from '../../../../worker/src/storage/task-cache';
import { useCacheStores } from './support/cache-stores';

const JOB = 'big';
const stores = useCacheStores('big');

const value = (i: number): string => (i % 3 === 0 ? `{"i": ${i}, "pad": "${'y'.repeat(70_000 + i)}"}` : `[${i}, 1.50]`);

describe('cache lookup of large returned values', () => {
  it('answers every hit with its exact value, large ones read from MongoDB', async () => {
    for (let i = 0; i < 30; i++) await stores.cache.record(JOB, { name: `tasks/${JOB}/dddddddd-${i}` }, `k${i}`, null, new JsonText(value(i)));
    const keys = [...Array.from({ length: 30 }, (_, i) => `k${i}`), 'missing'];
    const indexed = await stores.cache.lookup(JOB, keys);
    const plain = await new TaskCache(stores.store.connection).lookup(JOB, keys);
    for (const found of [indexed, plain]) {
      expect(found.size).toBe(30);
      for (let i = 0; i < 30; i++) {
        const e = found.get(`k${i}`);
        expect(e?.task).toBe(`tasks/${JOB}/dddddddd-${i}`);
        expect(Buffer.from(e?.result ?? []).toString('utf8')).toBe(value(i));
      }
    }
    expect(stores.logged).toEqual([]);
  });
});
