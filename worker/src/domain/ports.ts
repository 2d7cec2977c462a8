/**
 * The seams between nbgrid's parts. The API service and the CLI talk to an `IJobService`;
 * the job service talks to storage and to an `ITaskPublisher` (the Celery producer).
 */
import type { JsonText } from './json-bytes';
import type { Static } from '@sinclair/typebox';
import type {
  CancelBodySchema,
  CancelResponseSchema,
  MapOptionsSchema,
  MapResponseSchema,
  RestartOptionsSchema,
  RestartResponseSchema,
  ResultsResponseSchema
} from '../schemas/jobs';
import type { NotebookWithContentSchema } from '../schemas/notebooks';
import type { TaskEventSchema, WorkerSchema } from '../schemas/system';
import type { INotebookInfo, IStatusRow, ITask, ITaskGroup, JsonValue } from './types';

/** A stored notebook with its content. */
export type INotebookWithContent = Static<typeof NotebookWithContentSchema>;

/** What `map` takes: one JSON value per task, an optional worker label and cell timeout. */
export type IMapOptions = Static<typeof MapOptionsSchema>;

/** What `map` answers: the new task group and its tasks. */
export type IMapResult = Static<typeof MapResponseSchema>;

/** What `restart` takes: which group, and whether to re-run all tasks or re-render them. */
export type IRestartOptions = Static<typeof RestartOptionsSchema>;

/** What `restart` answers: the tasks queued again. */
export type IRestartResult = Static<typeof RestartResponseSchema>;

/** What `cancel` takes: which group (the latest when absent). */
export type ICancelOptions = Static<typeof CancelBodySchema>;

/** What `cancel` answers: how many tasks were revoked. */
export type ICancelResult = Static<typeof CancelResponseSchema>;

/** What `results` answers: returned values in parameter order. */
export type IResults = Static<typeof ResultsResponseSchema>;

/** A task state change, published on Redis and streamed by `/api/events`. */
export type ITaskEvent = Static<typeof TaskEventSchema>;

/** A live worker as reported by its heartbeats. */
export type IWorkerInfo = Static<typeof WorkerSchema>;

/** Everything the REST API and CLI can ask of nbgrid. */
export interface IJobService {
  putNotebook(name: string, content: unknown): Promise<INotebookInfo>;
  /** Main notebooks, task notebooks (`tasks/...ipynb`, rendered) and result notebooks (`results/...`). */
  getNotebook(name: string): Promise<INotebookWithContent>;
  listNotebooks(prefix: string): Promise<INotebookInfo[]>;
  /** A main notebook with task groups is refused unless `delete_groups` deletes them too. */
  deleteNotebook(name: string, options?: { delete_groups?: boolean }): Promise<void>;
  /**
   * @param exactParams each parameter's JSON text exactly as sent (same order and length as
   *   `options.params`): stored and injected instead of `params` serialized again, so numbers and
   *   key order reach the kernel unchanged
   */
  map(job: string, options: IMapOptions, exactParams?: JsonText[]): Promise<IMapResult>;
  /** `taskGroup` undefined = latest group, `'*'` = all groups. */
  status(job: string, taskGroup?: string): Promise<IStatusRow[]>;
  /**
   * Optional fast path of `status`: the rows array as JSON text, sent as it is (a large group's
   * rows come from the status index without being parsed and serialized again).
   */
  statusJson?(job: string, taskGroup?: string): Promise<string>;
  tasks(job: string, taskGroup?: string): Promise<ITask[]>;
  /** `{"tasks": [...]}` as JSON text, each `param` and `result` exactly as stored (not via JavaScript numbers). */
  tasksJson?(job: string, taskGroup?: string): Promise<string>;
  restart(job: string, options: IRestartOptions): Promise<IRestartResult>;
  cancel(job: string, options: ICancelOptions): Promise<ICancelResult>;
  results(job: string, taskGroup?: string): Promise<IResults>;
  /** `results` as JSON text, each returned value exactly as stored (not via JavaScript numbers). */
  resultsJson?(job: string, taskGroup?: string): Promise<string>;
  groups(job: string): Promise<ITaskGroup[]>;
  /** The notebook's own parameters: its cell tagged `parameters`, read as papermill does. */
  parameters?(job: string): Promise<IJobParameters>;
  /** The group's results as a table (see jobs/results-table.ts); cells may be stored JSON texts. */
  resultsTable?(job: string, taskGroup?: string): Promise<IResultsTableAnswer>;
}

/** What `parameters()` answers (the shape of schemas/grid.ts ParametersResponseSchema). */
export interface IJobParameters {
  job: string;
  has_parameters_cell: boolean;
  parameters: { name: string; inferred_type_name: string; default: string; help: string; identifier: boolean }[];
}

/** What `resultsTable()` answers: the columns, where each comes from, one row per task. */
export interface IResultsTableAnswer {
  task_group: string;
  columns: string[];
  kinds: ('param' | 'result' | 'scrap' | 'status')[];
  /** Cells are JSON values or `JsonText` (stored text, written as it is by `responseJson`). */
  rows: unknown[][];
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
