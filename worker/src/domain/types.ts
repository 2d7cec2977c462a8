/**
 * The domain model of nbgrid, shared by storage, the API service, workers and the CLI.
 * DESIGN.md ("Task notebooks") is the contract these types implement.
 */

/** A JSON value as it travels in parameters and returned values. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Celery queue state of a task (the `status` column). */
export type QueueState = 'PENDING' | 'STARTED' | 'SUCCESS' | 'FAILURE' | 'RETRY' | 'REVOKED';

/** Outcome of executing a task notebook (the `run_status` column). */
export type RunStatus = 'OK' | 'ERROR' | 'unknown';

/** A main notebook as listed by the API (content is fetched separately). */
export interface INotebookInfo {
  name: string;
  /** sha256 of the stored JSON bytes: the content address. */
  sha256: string;
  size: number;
  created: string;
  modified: string;
}

/** One execution of a task notebook, appended to `job_runs`. */
export interface IJobRun {
  status: 'OK' | 'ERROR';
  /** ISO time the run finished. */
  ts: string;
  /** Empty on OK; on ERROR the exception name, value and traceback text (bounded). */
  message: string;
  /** Name of the result notebook this run stored. */
  results: string | null;
  /** Seconds the execution took. */
  duration: number;
  /** Celery hostname of the worker, e.g. `nbgrid@host`. */
  worker: string;
  /** 1 for the first delivery, then counting redeliveries and restarts. */
  attempt: number;
  task_id: string;
}

/** A task: one parameter of one map. Stored in the `tasks` collection. */
export interface ITask {
  /** `tasks/<nb>/<group>-<i>` (no `.ipynb`). */
  name: string;
  /** The main notebook's name. */
  job: string;
  task_group: string;
  /** Position of the parameter in the map: results come back in this order. */
  job_id: number;
  param: JsonValue;
  /** Content address of the main notebook the task notebook is rendered from. */
  main_sha256: string;
  /** Current Celery task id. */
  task_id: string;
  state: QueueState;
  run_status: RunStatus;
  require: string;
  cell_timeout: number | null;
  /**
   * Its run history, oldest first: the first run and the last runs (the stored history is
   * bounded, see `runs_total`).
   */
  job_runs: IJobRun[];
  /** How many runs were ever recorded; more than `job_runs.length` once the history was trimmed. */
  runs_total: number;
  /** Celery hostname of the worker that last started or ran it. */
  worker?: string | null;
  /** Value the notebook returned (`job['result']`), from the last OK run. */
  result?: JsonValue;
  created: string;
  updated: string;
}

/** One row of `status()`. */
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

/** A task group: everything one `map()` call made. */
export interface ITaskGroup {
  task_group: string;
  job: string;
  count: number;
  require: string;
  created: string;
  /** Counts by queue state. */
  states: Partial<Record<QueueState, number>>;
}

/** Message body kwargs of the `nbgrid.run_notebook` Celery task. */
export interface IRunNotebookKwargs {
  task_name: string;
  task_group: string;
  attempt: number;
}

/** Celery task name that workers serve. */
export const RUN_NOTEBOOK_TASK = 'nbgrid.run_notebook';

/** Queue used when a map has no `require` label. */
export const DEFAULT_QUEUE = 'default';
