/**
 * What the job service needs of the stored task groups and tasks (implemented by storage).
 * Every call is a handful of MongoDB operations whatever the size of the map: a map is stored as
 * one group document, its task documents are written later (`materialize`), and until then every
 * read creates them from the group.
 */
import type { JsonText } from './json-bytes';
import type { ICachedTask } from './task-cache';
import type { INotebookInfo, IStatusRow, ITask, ITaskGroup, RunStatus } from './types';
import type { ITaskSummary } from './task-state';

/** A map to store: the group's fixed fields and every parameter. */
export interface INewMap {
  /** The main notebook's name. */
  job: string;
  /** Worker label (queue) of every task. */
  require: string;
  /** Per-cell timeout in seconds; null for none. */
  cell_timeout: number | null;
  /** Content address of the main notebook the task notebooks are rendered from. */
  main_sha256: string;
  /** Each parameter's JSON bytes (see `encodeJson`), in map order. */
  params: Uint8Array[];
  /** Tasks the cache answers: stored as SUCCESS / OK with `cached_from`, never to be queued. */
  cached?: ICachedTask[];
}

/** A stored map: its new group id and its tasks, whose ids are the ones to publish. */
export interface IStoredMap {
  task_group: string;
  tasks: ITaskSummary[];
}

/** A restart of one task: its new Celery id and attempt. */
export interface ITaskRestart {
  name: string;
  task_id: string;
  attempt: number;
  task_group: string;
  /** Set when the task is re-pointed at the current main notebook. */
  main_sha256?: string;
  /**
   * The Celery id the restart read: the task is restarted only if it still has it, so a task
   * restarted meanwhile by someone else is left to that restart.
   */
  prev_task_id: string;
  /**
   * Restart only if the task still has no OK run (a restart of failed tasks). A run of the old id
   * that finished OK between the read and this write wins; the task is then not run again.
   */
  unless_ok: boolean;
}

/** One task a group restart wrote: its new Celery id and attempt, and the task as it was before. */
export interface IGroupRestart {
  task_id: string;
  attempt: number;
  prev: ITaskSummary;
}

/** Options of a restart of named tasks. */
export interface INamedRestartOptions {
  /** Re-point the tasks at this main notebook (restart with refresh). */
  main_sha256?: string;
  /** Task name → the Celery id it must still have to be restarted. */
  expected_task_ids?: Map<string, string>;
}

/** A task with its parameter and returned value as their stored JSON text (exact). */
export interface IExactTask {
  task: ITask;
  param: JsonText;
  /** Absent when the task has no returned value. */
  result?: JsonText;
  /** Values its last OK run glued with scrapbook, `[[name, value], ...]`; absent when none. */
  scraps?: JsonText;
}

/** What a results table needs of a task besides its status row: its values as stored JSON text. */
export interface ITaskValues {
  job_id: number;
  run_status: RunStatus;
  param: JsonText;
  result?: JsonText;
  /** Values its last OK run glued with scrapbook, `[[name, value], ...]`. */
  scraps?: JsonText;
}

/** A task notebook rendered from its main notebook and parameter, and its task. */
export interface IRenderedTask {
  notebook: Record<string, unknown>;
  task: ITask;
  /** The task's parameter as its stored JSON text (for the cache's input key). */
  param?: JsonText;
}

/**
 * Task groups and tasks. A `taskGroup` argument is a group id, or `'*'` for every group of the
 * job where the method says so; results come in map order (group, then `job_id`).
 */
export interface ITaskRepository {
  /**
   * Store a map under a new group id in O(1) writes. Its task documents do not exist yet: call
   * `materialize` once the tasks are queued, or `deleteGroup` if queueing failed.
   */
  createMap(map: INewMap): Promise<IStoredMap>;
  /**
   * Write the task documents of a group this process's `createMap` made (those a worker created
   * meanwhile are kept). Other groups are left to be created by their first read.
   */
  materialize(taskGroup: string): Promise<void>;
  /** Remove a group and its tasks. */
  deleteGroup(taskGroup: string): Promise<void>;
  /** The id of the job's newest group, or null when it has none. */
  latestGroup(job: string): Promise<string | null>;
  /** Whether `job` has the group `taskGroup`. */
  hasGroup(job: string, taskGroup: string): Promise<boolean>;
  /** The job's groups, newest first, with their task counts by queue state. */
  groups(job: string): Promise<ITaskGroup[]>;
  /** Tasks of one group or `'*'` without parameters and returned values. */
  summaries(job: string, taskGroup: string): Promise<ITaskSummary[]>;
  /** Status rows of one group (from the status index when it is complete). */
  statusRows(job: string, taskGroup: string): Promise<IStatusRow[]>;
  /** `statusRows` as the JSON text of an array (from the index without parsing it). */
  statusJson(job: string, taskGroup: string): Promise<string>;
  /** Full tasks of one group or `'*'`. */
  list(job: string, taskGroup: string): Promise<ITask[]>;
  /** `list` with each parameter and returned value also as its stored JSON text. */
  listExact(job: string, taskGroup: string): Promise<IExactTask[]>;
  /**
   * The parameter, returned and glued values of one group's tasks in map order, without the run
   * history (a group read that skips the largest part of each task document).
   */
  listValues?(job: string, taskGroup: string): Promise<ITaskValues[]>;
  /**
   * Task notebooks (`tasks/<nb>/<group>-<i>.ipynb`) whose name starts with `prefix`, by name;
   * sha256 and size are those of the main notebook each is rendered from.
   */
  listTaskNotebooks(prefix: string): Promise<INotebookInfo[]>;
  /** The task notebook of `taskName` (`.ipynb` optional), rendered now. @throws NotFoundError */
  renderTask(taskName: string): Promise<IRenderedTask>;
  /**
   * Give tasks new Celery ids and attempts and set them PENDING again, each only if it still has
   * `prev_task_id` (and, with `unless_ok`, no OK run) when written; returns the names of those written.
   */
  restartTasks(restarts: ITaskRestart[]): Promise<string[]>;
  /**
   * Restart the group's tasks without an OK run (`reset`: every task), each decided on the task as
   * stored when written; returns those written, as they were before, with their new ids.
   */
  restartGroup(job: string, taskGroup: string, options: { reset: boolean; main_sha256?: string }): Promise<IGroupRestart[]>;
  /** Set the group's queued or running tasks to REVOKED; returns them as they were before. */
  revokeGroup(job: string, taskGroup: string): Promise<ITaskSummary[]>;
  /** The tasks `names` of one group, in the order given. @throws NotFoundError naming a task it does not have */
  summariesOf(job: string, taskGroup: string, names: string[]): Promise<ITaskSummary[]>;
  /**
   * Run the tasks `names` of one group again whatever their state (new Celery ids, next attempts,
   * PENDING); returns those written, as they were before, with their new ids. With
   * `expected_task_ids`, a task whose Celery id is no longer the one given is left alone.
   * @throws NotFoundError naming a task the group does not have
   */
  restartNamed(job: string, taskGroup: string, names: string[], options: INamedRestartOptions): Promise<IGroupRestart[]>;
  /** Set those of the tasks `names` that are queued or running to REVOKED; returns them as they were before. */
  revokeNamed(job: string, taskGroup: string, names: string[]): Promise<ITaskSummary[]>;
  /**
   * The values of the tasks of `rows` (the group's status rows), one per row in the same order,
   * from a read model kept beside the status index; null when there is none or the group keeps
   * no parameter array (then read the tasks).
   */
  tableValues?(job: string, taskGroup: string, rows: IStatusRow[]): Promise<ITaskValues[] | null>;
}
