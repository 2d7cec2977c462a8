/**
 * The domain model of nbgrid, shared by storage, the API service, workers and the CLI.
 * DESIGN.md ("Task notebooks") is the contract these types implement. Every shape the API shows
 * is `Static<>` of its TypeBox schema in `worker/src/schemas/`, the one place it is written; the
 * JupyterLab extension imports these types (src/types.ts).
 */
import type { Static } from '@sinclair/typebox';
import type { GroupSchema, JobRunSchema, StatusRowSchema, TaskSchema } from '../schemas/jobs';
import type { NotebookInfoSchema } from '../schemas/notebooks';

export type { JsonValue } from '../schemas/common';
export type { QueueState, RunStatus } from './queue-states';

/** A main notebook as listed by the API (content is fetched separately). */
export type INotebookInfo = Static<typeof NotebookInfoSchema>;

/** One execution of a task notebook, appended to `job_runs`. */
export type IJobRun = Static<typeof JobRunSchema>;

/** A task: one parameter of one map. Stored in the `tasks` collection. */
export type ITask = Static<typeof TaskSchema>;

/** One row of `status()`. */
export type IStatusRow = Static<typeof StatusRowSchema>;

/** A task group: everything one `map()` call made. */
export type ITaskGroup = Static<typeof GroupSchema>;

/** Message body kwargs of the `nbgrid.run_notebook` Celery task (not part of the REST API). */
export interface IRunNotebookKwargs {
  task_name: string;
  task_group: string;
  attempt: number;
}

/** Celery task name that workers serve. */
export const RUN_NOTEBOOK_TASK = 'nbgrid.run_notebook';

/** Queue used when a map has no `require` label. */
export const DEFAULT_QUEUE = 'default';
