import type Redis from 'ioredis';
import type { INbgridConfig } from '../config';
import { waitFor } from '../stack/wait-for';
import { NbgridStore } from '../storage/nbgrid-store';
import { StatusIndex } from '../storage/status-index';
import { CacheIndex } from '../storage/cache-index';
import { ResultsReadModel } from '../storage/results-read-model';

/**
 * The store on MongoDB with its status index on `redis`, as the API service and every worker open
 * it. MongoDB may still be starting (or restarting): it is waited for, not given up on.
 * @param waitMs - how long to wait for MongoDB @defaultValue 120000
 */
export function openStore(config: INbgridConfig, redis: Redis, log: (line: string) => void, waitMs = 120000): Promise<NbgridStore> {
  return waitFor('MongoDB', () => NbgridStore.open(config.mongoUrl, { dbName: config.database, statusIndex: new StatusIndex(redis), log, runHistory: config.runHistory, cacheIndex: new CacheIndex(redis), resultsReadModel: new ResultsReadModel(redis) }), {
    timeoutMs: waitMs,
    intervalMs: 1000
  });
}
