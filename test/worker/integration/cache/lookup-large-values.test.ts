/**
 * A map's cache lookup (storage/task-cache.ts) with returned values too large for the Redis index
 * (over 64 KB each: read from MongoDB by `_id`, several at a time) beside small ones (in the
 * index), on real Redis and FerretDB: every hit comes back with its value byte for byte, misses
 * stay misses, and the lookup gives the same answer with the index and without it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { JsonText } from '../../../../worker/src/domain/json-bytes';
import { startRedis, type IStartedService } from '../../../../worker/src/stack';
import { CacheIndex } from '../../../../worker/src/storage/cache-index';
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
const JOB = 'big';
const logged: string[] = [];

beforeAll(async () => {
  mongo = await startFerretDb();
  redisDir = await mkdtemp(join(tmpdir(), 'nbgrid-cache-big-redis-'));
  redisService = await startRedis({ dir: redisDir });
  redis = new Redis(redisService.url);
  store = await NbgridStore.open(mongo.url, { dbName: `big_${randomUUID().slice(0, 8)}` });
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

const value = (i: number): string => (i % 3 === 0 ? `{"i": ${i}, "pad": "${'y'.repeat(70_000 + i)}"}` : `[${i}, 1.50]`);

describe('cache lookup of large returned values', () => {
  it('answers every hit with its exact value, large ones read from MongoDB', async () => {
    for (let i = 0; i < 30; i++) await cache.record(JOB, { name: `tasks/${JOB}/dddddddd-${i}` }, `k${i}`, null, new JsonText(value(i)));
    const keys = [...Array.from({ length: 30 }, (_, i) => `k${i}`), 'missing'];
    const indexed = await cache.lookup(JOB, keys);
    const plain = await new TaskCache(store.connection).lookup(JOB, keys);
    for (const found of [indexed, plain]) {
      expect(found.size).toBe(30);
      for (let i = 0; i < 30; i++) {
        const e = found.get(`k${i}`);
        expect(e?.task).toBe(`tasks/${JOB}/dddddddd-${i}`);
        expect(Buffer.from(e?.result ?? []).toString('utf8')).toBe(value(i));
      }
    }
    expect(logged).toEqual([]);
  });
});
