/**
 * nbgrid's system of record on MongoDB (or FerretDB v1): one object that owns the connection and
 * the stores, and offers the calls a worker makes while running tasks.
 */
import type { IJobRun, ITask, JsonValue, QueueState } from '../domain/types';
import { BlobStore, INLINE_BLOB_LIMIT } from './blob-store';
import { Collections } from './collections';
import { MongoConnection, type IMongoConnectionOptions } from './mongo-connection';
import { NotebookStore } from './notebook-store';
import type { StatusIndex } from './status-index';
import { TaskStore, type ITaskRef } from './task-store';

export interface INbgridStoreOptions extends IMongoConnectionOptions {
  /** Largest blob kept inline in a document; larger ones go to GridFS. @defaultValue 15 MB */
  inlineBlobLimit?: number;
  /** Status rows in Redis for fast `status()` of large groups; without it status reads MongoDB. */
  statusIndex?: StatusIndex;
  /** Where index problems are reported. */
  log?: (line: string) => void;
}

export class NbgridStore {
  readonly blobs: BlobStore;
  readonly notebooks: NotebookStore;
  readonly tasks: TaskStore;

  constructor(
    readonly connection: MongoConnection,
    options: INbgridStoreOptions = {}
  ) {
    this.blobs = new BlobStore(connection, options.inlineBlobLimit ?? INLINE_BLOB_LIMIT);
    this.notebooks = new NotebookStore(connection, this.blobs);
    this.tasks = new TaskStore(connection, this.blobs, this.notebooks, undefined, options.statusIndex, options.log);
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
      [Collections.taskGroups, { job: 1, seq: -1 }, 'job_seq'],
      [Collections.results, { task_name: 1 }, 'task_name']
    ];
    await this.connection.run(async (db) => {
      for (const [collection, key, name] of indexes) await db.collection(collection).createIndex(key, { name });
    });
  }

  /** See TaskStore.renderTask. */
  renderTask(taskName: string): Promise<{ notebook: Record<string, unknown>; task: ITask }> {
    return this.tasks.renderTask(taskName);
  }

  /** See TaskStore.markStarted. */
  markStarted(taskName: string, taskId: string, worker: string): Promise<ITask | null> {
    return this.tasks.markStarted(taskName, taskId, worker);
  }

  /** See TaskStore.recordRun. */
  recordRun(task: string | ITaskRef, run: IJobRun, resultNotebook: unknown | null, resultValue: JsonValue | undefined): Promise<ITask | null> {
    return this.tasks.recordRun(task, run, resultNotebook, resultValue);
  }

  /** See TaskStore.recordLostAttempt. */
  recordLostAttempt(taskName: string, run: IJobRun): Promise<void> {
    return this.tasks.recordLostAttempt(taskName, run);
  }

  /** See TaskStore.markState. */
  markState(taskName: string, taskId: string, state: QueueState): Promise<ITask | null> {
    return this.tasks.markState(taskName, taskId, state);
  }

  /** Round trip to MongoDB. @throws ServiceUnavailableError */
  ping(): Promise<void> {
    return this.connection.ping();
  }

  /** Idempotent. */
  close(): Promise<void> {
    return this.connection.close();
  }
}
