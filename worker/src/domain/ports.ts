/**
 * The seams between nbgrid's parts. The API service and the CLI talk to an `IJobService`;
 * the job service talks to storage and to an `ITaskPublisher` (the Celery producer).
 */
import type { INotebookInfo, IStatusRow, ITask, ITaskGroup, JsonValue, QueueState, RunStatus } from './types';

export interface INotebookWithContent extends INotebookInfo {
  /** The nbformat v4 notebook, exactly as stored. */
  content: unknown;
}

export interface IMapOptions {
  params: JsonValue[];
  /** Worker label; queue name. `default` when absent. */
  require?: string | null;
  /** Per-cell timeout in seconds; none when absent. */
  cell_timeout?: number | null;
}

export interface IMapResult {
  task_group: string;
  job: string;
  count: number;
  require: string;
  tasks: { name: string; task_id: string }[];
  /** e.g. no live worker serves the required label. */
  warnings: string[];
}

export interface IRestartOptions {
  task_group?: string;
  /** Re-run every task, not only those without an OK run. */
  reset?: boolean;
  /** Re-render task notebooks from the current main notebook. */
  refresh?: boolean;
}

export interface IRestartResult {
  task_group: string;
  restarted: { name: string; task_id: string }[];
}

export interface ICancelResult {
  task_group: string;
  revoked: number;
}

export interface IResults {
  task_group: string;
  /** One value per parameter, in parameter order; null where no OK run exists. */
  results: JsonValue[];
  /** job_ids without an OK run. */
  missing: number[];
}

/** Everything the REST API and CLI can ask of nbgrid. */
export interface IJobService {
  putNotebook(name: string, content: unknown): Promise<INotebookInfo>;
  /** Main notebooks, task notebooks (`tasks/...ipynb`, rendered) and result notebooks (`results/...`). */
  getNotebook(name: string): Promise<INotebookWithContent>;
  listNotebooks(prefix: string): Promise<INotebookInfo[]>;
  deleteNotebook(name: string): Promise<void>;
  map(job: string, options: IMapOptions): Promise<IMapResult>;
  /** `taskGroup` undefined = latest group, `'*'` = all groups. */
  status(job: string, taskGroup?: string): Promise<IStatusRow[]>;
  /**
   * Optional fast path of `status`: the rows array as JSON text, sent as it is (a large group's
   * rows come from the status index without being parsed and serialized again).
   */
  statusJson?(job: string, taskGroup?: string): Promise<string>;
  tasks(job: string, taskGroup?: string): Promise<ITask[]>;
  restart(job: string, options: IRestartOptions): Promise<IRestartResult>;
  cancel(job: string, options: { task_group?: string }): Promise<ICancelResult>;
  results(job: string, taskGroup?: string): Promise<IResults>;
  groups(job: string): Promise<ITaskGroup[]>;
}

/** What the job service needs of the queue. Implemented by the Celery producer. */
export interface ITaskPublisher {
  /** Publish many `nbgrid.run_notebook` messages in one pipelined round trip. */
  publishMany(
    messages: { taskId: string; queue: string; kwargs: Record<string, JsonValue>; argsrepr?: string }[]
  ): Promise<void>;
  /** Revoke task ids (pidbox broadcast + persistent revoked set); running ones are interrupted. */
  revoke(taskIds: string[], options?: { terminate?: boolean }): Promise<void>;
  /**
   * Resolves when the queue answers now; rejects at once with a `ServiceUnavailableError` naming
   * Redis otherwise, so that a map can be refused before anything is stored.
   */
  ensureReachable?(): Promise<void>;
}

/** A task state change, published on Redis (`keys.nbgridEvents`) and streamed by `/api/events`. */
export interface ITaskEvent {
  name: string;
  job: string;
  task_group: string;
  job_id: number;
  task_id: string;
  status: QueueState;
  run_status: RunStatus;
  message: string;
  worker: string | null;
  duration: number | null;
}

/** A live worker as reported by its heartbeats. */
export interface IWorkerInfo {
  hostname: string;
  labels: string[];
  concurrency: number;
  active: number;
  processed: number;
  last_seen: string;
  /** Why the worker takes no messages now, e.g. `Kernel Gateway unreachable at ...`; absent while it does. */
  paused?: string;
}
