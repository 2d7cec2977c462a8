import { ServerConnection } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';
import type {
  ICleanupBody,
  ICleanupReport,
  ICreateScheduleBody,
  ISchedule,
  ICancelOptions,
  ICancelResult,
  IMapResult,
  INbgridConfig,
  INotebookInfo,
  INotebookWithContent,
  IRestartOptions,
  IRestartResult,
  IStatusRow,
  ITaskGroup,
  IWorkerInfo,
  MapRequest,
  IParametersResponse,
  IResultsTable
} from './types';

/**
 * The typed client of the nbgrid REST API, reached through the nbgrid server extension
 * (`<base_url>/nbgrid/api/...`), which adds the service token. Every method rejects with an
 * `NbgridError`; `unreachable` is set when the service is not running.
 */
export interface INbgridClient {
  readonly serverSettings: ServerConnection.ISettings;
  /** Whether the server extension reaches the service (never rejects for an unreachable service). */
  config(): Promise<INbgridConfig>;
  /** Live workers with their labels. */
  workers(): Promise<IWorkerInfo[]>;
  putNotebook(name: string, content: unknown): Promise<INotebookInfo>;
  /** A main, task (`tasks/...ipynb`) or result (`results/...`) notebook with its content. */
  getNotebook(name: string): Promise<INotebookWithContent>;
  map(job: string, request: MapRequest): Promise<IMapResult>;
  /** Status rows of one task group; the latest group when `taskGroup` is undefined, all with `'*'`. */
  status(job: string, taskGroup?: string): Promise<IStatusRow[]>;
  /** Task groups of a job, newest first. */
  groups(job: string): Promise<ITaskGroup[]>;
  restart(job: string, options: IRestartOptions): Promise<IRestartResult>;
  cancel(job: string, options: ICancelOptions): Promise<ICancelResult>;
  /** URL of the Server-Sent Events stream of a job's task state changes. */
  eventsUrl(job: string): string;
  /** A running task's notebook as executed so far (`taskName`: `tasks/<job>/<group>-<i>`). */
  partial?(job: string, taskName: string): Promise<{ name: string; ts: string; content: unknown }>;
  /** The stored notebook's own parameters (its cell tagged `parameters`). */
  parameters?(job: string): Promise<IParametersResponse>;
  /** A group's results as a table (`format=table`). */
  resultsTable?(job: string, taskGroup: string): Promise<IResultsTable>;
  /** The same table as CSV text (`format=csv`). */
  resultsCsv?(job: string, taskGroup: string): Promise<string>;
  /** Schedules (of `job`, when given), with their next and last runs. */
  schedules(job?: string): Promise<ISchedule[]>;
  /** Save a map as a schedule: the same map at each occurrence of a cron expression. */
  createSchedule(body: ICreateScheduleBody): Promise<ISchedule>;
  /** Delete task groups (or, with `dry_run`, say what would go). */
  cleanup(body: ICleanupBody): Promise<ICleanupReport>;
}

export const INbgridClient = new Token<INbgridClient>(
  'jupyterlab-nbgrid:INbgridClient',
  'The typed client of the nbgrid REST API, through the nbgrid server extension.'
);
