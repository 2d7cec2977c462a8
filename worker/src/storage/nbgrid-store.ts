/**
 * nbgrid's system of record on MongoDB (or FerretDB v1): one object that owns the connection and
 * offers storage through its ports (`IStorage`): `notebooks`, `tasks` (for the job service) and
 * `runs` (for a worker's task handler). Each operation has one way in.
 */
import type { IStorage } from '../domain/storage';
import { ActiveTasks } from './active-tasks';
import { BlobStore, INLINE_BLOB_LIMIT } from './blob-store';
import { Collections } from './collections';
import { IndexedStatus } from './indexed-status';
import { MongoConnection, type IMongoConnectionOptions } from './mongo-connection';
import { NotebookStore } from './notebook-store';
import type { StatusIndex } from './status-index';
import { TaskBulkUpdates } from './task-bulk-updates';
import { TaskGroups } from './task-groups';
import { TaskQueries } from './task-queries';
import { TaskRenderer } from './task-renderer';
import { TaskRepository } from './task-repository';
import { StuckTasks } from './stuck-tasks';
import { TaskRuns } from './task-runs';
import { TaskSelectedUpdates } from './task-selected-updates';
import { TaskLocks } from './task-locks';
import { ReduceRounds } from './reduce-rounds';
import { TaskCache } from './task-cache';
import type { CacheIndex } from './cache-index';
import type { ResultsReadModel } from './results-read-model';
import { ResultsTableValues } from './results-table-values';

export interface INbgridStoreOptions extends IMongoConnectionOptions {
  /** Largest blob kept inline in a document; larger ones go to GridFS. @defaultValue 15 MB */
  inlineBlobLimit?: number;
  /** Status rows in Redis for fast `status()` of large groups; without it status reads MongoDB. */
  statusIndex?: StatusIndex;
  /** Where index problems are reported. */
  log?: (line: string) => void;
  /** Runs kept per task besides the first (`job_runs`); `runs_total` counts all. @defaultValue 20 */
  runHistory?: number;
  /** The cache's lookup index in Redis; without it cache lookups query MongoDB. */
  cacheIndex?: CacheIndex;
  /** Returned and glued values of OK tasks in Redis, for results tables; without it tables read the task documents. */
  resultsReadModel?: ResultsReadModel;
}

export class NbgridStore implements IStorage {
  /** Content-addressed JSON blobs (notebooks, large parameter arrays, result notebooks). */
  readonly blobs: BlobStore;
  readonly notebooks: NotebookStore;
  readonly tasks: TaskRepository;
  readonly runs: TaskRuns;
  /** Tasks queued or running without change for a while, for the reconciler. */
  readonly stuck: StuckTasks;
  /** The queued or running task attempts (what the reconciler reads instead of every task). */
  readonly active: ActiveTasks;
  /** Maps' reduce steps and their rounds (`reduce_specs`, `reduce_rounds`). */
  readonly reduce: ReduceRounds;
  /** Input keys with an OK run, per job (`task_cache`), and the documents of cached tasks. */
  readonly cache: TaskCache;

  constructor(
    readonly connection: MongoConnection,
    options: INbgridStoreOptions = {}
  ) {
    this.blobs = new BlobStore(connection, options.inlineBlobLimit ?? INLINE_BLOB_LIMIT, new TaskLocks(connection));
    this.notebooks = new NotebookStore(connection, this.blobs);
    // The index is rebuilt from the queries, and the queries wait for groups that write the index.
    const status: IndexedStatus = new IndexedStatus(options.statusIndex, (job, taskGroup) => queries.summaries(job, taskGroup), options.log, options.resultsReadModel);
    this.active = new ActiveTasks(connection, options.log);
    const groups = new TaskGroups(connection, this.blobs, status, this.active);
    const queries: TaskQueries = new TaskQueries(connection, groups, this.blobs);
    const renderer = new TaskRenderer(queries, this.blobs);
    this.tasks = new TaskRepository(groups, queries, status, renderer, new TaskBulkUpdates(connection, groups, status, this.active), new TaskSelectedUpdates(connection, groups, status, this.active), options.resultsReadModel && new ResultsTableValues(options.resultsReadModel, connection, groups, options.log));
    this.runs = new TaskRuns(connection, this.notebooks, groups, queries, renderer, status, this.active, options.runHistory);
    this.stuck = new StuckTasks(connection, this.runs, this.active, groups);
    this.reduce = new ReduceRounds(connection, this.active);
    this.cache = new TaskCache(connection, options.cacheIndex, options.log);
  }

  /**
   * Connect and make sure the indexes exist.
   * @throws ServiceUnavailableError when MongoDB cannot be reached
   */
  static async open(url: string, options: INbgridStoreOptions = {}): Promise<NbgridStore> {
    const connection = await MongoConnection.connect(url, options);
    const store = new NbgridStore(connection, options);
    try {
      await store.ensureIndexes();
    } catch (err) {
      await connection.close();
      throw err;
    }
    return store;
  }

  /**
   * The indexes the queries need; idempotent. One `createIndex` per index: FerretDB v1.24 drops
   * the connection when a multi-index `createIndexes` names indexes that already exist, which is
   * what every process after the first would send.
   */
  async ensureIndexes(): Promise<void> {
    const indexes: [string, Record<string, 1 | -1>, string][] = [
      [Collections.tasks, { job: 1, task_group: 1, job_id: 1 }, 'job_group_jobid'],
      [Collections.tasks, { job: 1, group_seq: 1, job_id: 1 }, 'job_groupseq_jobid'],
      [Collections.tasks, { task_id: 1 }, 'task_id'],
      // the reconciler's look for tasks queued or running without change for a while
      [Collections.tasks, { state: 1, updated: 1 }, 'state_updated'],
      [Collections.taskGroups, { job: 1, seq: -1 }, 'job_seq'],
      [Collections.results, { task_name: 1 }, 'task_name']
    ];
    await this.connection.run(async (db) => {
      for (const [collection, key, name] of indexes) await db.collection(collection).createIndex(key, { name });
    });
  }

  /** Round trip to MongoDB. @throws ServiceUnavailableError */
  ping(timeoutMs?: number): Promise<void> {
    return this.connection.ping(timeoutMs);
  }

  /** Idempotent; waits for the background deletes of ended tasks' active entries. */
  async close(): Promise<void> {
    await this.active.settled();
    await this.connection.close();
  }
}
