/**
 * The storage side of the cache on real services, for tests that drive storage/task-cache.ts
 * directly: a FerretDB and a Redis of their own, a store in a fresh database, the Redis lookup
 * index under a fresh prefix, and a TaskCache over both whose log lines are kept in `logged`.
 * Started in `beforeAll` and stopped in `afterAll` of the calling test file.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startRedis, type IStartedService } from '../../../../../worker/src/stack';
import { CacheIndex } from '../../../../../worker/src/storage/cache-index';
import { NbgridStore } from '../../../../../worker/src/storage/nbgrid-store';
import { TaskCache } from '../../../../../worker/src/storage/task-cache';
import { startFerretDb } from '../../storage/ferretdb';

export interface ICacheStores {
  redis: Redis;
  store: NbgridStore;
  index: CacheIndex;
  cache: TaskCache;
  /** What the TaskCache logged. */
  logged: string[];
}

/** Registers the set-up and tear-down; the returned object is filled once `beforeAll` ran. */
export function useCacheStores(name: string): ICacheStores {
  const stores = { logged: [] as string[] } as ICacheStores;
  let mongo: { url: string; stop(): Promise<void> } | undefined;
  let redisService: IStartedService | undefined;
  let redisDir: string | undefined;
  beforeAll(async () => {
    mongo = await startFerretDb();
    redisDir = await mkdtemp(join(tmpdir(), `nbgrid-cache-${name}-redis-`));
    redisService = await startRedis({ dir: redisDir });
    stores.redis = new Redis(redisService.url);
    stores.store = await NbgridStore.open(mongo.url, { dbName: `${name}_${randomUUID().slice(0, 8)}` });
    stores.index = new CacheIndex(stores.redis, { prefix: `test:cache:${randomUUID().slice(0, 8)}:` });
    stores.cache = new TaskCache(stores.store.connection, stores.index, (line) => stores.logged.push(line));
  }, 120000);
  afterAll(async () => {
    stores.redis?.disconnect();
    await stores.store?.close();
    await redisService?.stop();
    await mongo?.stop();
    if (redisDir) await rm(redisDir, { recursive: true, force: true });
  });
  return stores;
}
