/**
 * Shapes of the nbgrid REST API as the browser sees them (docs/api.md). They mirror
 * worker/src/domain/types.ts and ports.ts, which are the source: keep the two in step.
 */

/** A JSON value as it travels in parameters and returned values. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Celery queue state of a task (the `status` column). */
export type QueueState = 'PENDING' | 'STARTED' | 'SUCCESS' | 'FAILURE' | 'RETRY' | 'REVOKED';

/** Outcome of executing a task notebook (the `run_status` column). */
export type RunStatus = 'OK' | 'ERROR' | 'unknown';

/** Every queue state, in the order progress bars stack them. */
export const QUEUE_STATES: QueueState[] = ['SUCCESS', 'FAILURE', 'STARTED', 'RETRY', 'PENDING', 'REVOKED'];

export interface INotebookInfo {
  name: string;
  sha256: string;
  size: number;
  created: string;
  modified: string;
}

export interface INotebookWithContent extends INotebookInfo {
  /** The nbformat v4 notebook, exactly as stored. */
  content: unknown;
}

/** One row of `GET /api/jobs/<name>/status`. */
export interface IStatusRow {
  name: string;
  task_id: string;
  status: QueueState;
  run_status: RunStatus;
  task_group: string;
  job_id: number;
  duration: number | null;
  worker: string | null;
  message: string;
  /** Result notebook of the last run, if any. */
  results: string | null;
}

/** A task group: everything one map made. */
export interface ITaskGroup {
  task_group: string;
  job: string;
  count: number;
  require: string;
  created: string;
  /** Counts by queue state. */
  states: Partial<Record<QueueState, number>>;
}

/** A task state change, as streamed by `/api/events` (event name `task`). */
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

/** A live worker. */
export interface IWorkerInfo {
  hostname: string;
  labels: string[];
  concurrency: number;
  active: number;
  processed: number;
  last_seen: string;
}

/** Range of parameters, as Python's `range(start, stop, step)`. */
export interface IParameterRange {
  start: number;
  stop: number;
  step: number;
}

/** Parameters of a map: an explicit list or a range. */
export type MapParameters = { params: JsonValue[] } | { range: IParameterRange };

/** Body of `POST /api/jobs/<name>/map`. */
export type MapRequest = MapParameters & {
  require?: string;
  cell_timeout?: number;
};

export interface IMapResult {
  task_group: string;
  job: string;
  count: number;
  require: string;
  tasks: { name: string; task_id: string }[];
  warnings: string[];
}

export interface IRestartOptions {
  task_group?: string;
  reset?: boolean;
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

/** `GET <base_url>/nbgrid/config`, answered by the server extension. */
export interface INbgridConfig {
  api_reachable: boolean;
  api_url: string | null;
  message?: string;
}
