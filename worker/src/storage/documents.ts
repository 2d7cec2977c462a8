/**
 * Shapes of the stored documents and their conversion to the domain types. Parameters, returned
 * values and notebook content are JSON bytes in BSON Binary (DESIGN.md); query fields sit beside.
 */
import { createHash } from 'node:crypto';
import { Binary } from 'mongodb';
import { decodeJson, JsonText } from '../domain/json-bytes';
import type { IExactTask } from '../domain/task-repository';
import type { ITaskSummary } from '../domain/task-state';
import type { IJobRun, ITask, JsonValue, QueueState, RunStatus } from '../domain/types';
import { taskName } from '../notebooks/task-names';
import { runsTotal, shownRuns } from './run-history';

export interface INotebookDoc {
  _id: string;
  sha256: string;
  size: number;
  /** Kernel language, so `map()` can refuse unsupported kernels without loading the content. */
  language: string;
  kernel: string;
  created: string;
  modified: string;
}

export interface ITaskGroupDoc {
  /** The 8-hex task group id. */
  _id: string;
  job: string;
  count: number;
  require: string;
  cell_timeout: number | null;
  main_sha256: string;
  created: string;
  /** Creation order, unique within a process even within one millisecond. */
  seq: number;
  /** All parameters as one JSON array, when at most `INLINE_PARAMS_LIMIT` bytes. */
  params?: Binary;
  /** Else the blob holding that array. (Maps stored before either have task documents only.) */
  params_sha256?: string;
  /** Random hex from which task ids are derived (see `taskDocOf`). */
  task_id_salt?: string;
  /** The map's cached tasks (see `cached-tasks.ts`), when it had any. */
  cached_tasks?: Binary;
  /** The blob holding their returned values, when too large for the group document (see `cached-tasks.ts`). */
  cached_results_sha256?: string;
  /**
   * False until every task document of the group exists; until then a task is created from the
   * group when first read. Absent (older maps) means true.
   */
  materialized?: boolean;
  /** The schedule that made this group, if one did (see domain/map-origin.ts). */
  schedule?: string;
  /** ISO time of the schedule's occurrence this group is the map of. */
  occurrence?: string;
}

export interface ITaskDoc {
  /** `tasks/<nb>/<group>-<i>`. */
  _id: string;
  job: string;
  task_group: string;
  job_id: number;
  param: Binary;
  main_sha256: string;
  task_id: string;
  /** Attempt number of the current `task_id` (1 on the first map, +1 per restart). */
  attempt: number;
  state: QueueState;
  run_status: RunStatus;
  require: string;
  cell_timeout: number | null;
  /** The last runs, oldest first (at most the store's `runHistory`; see `run-history.ts`). */
  job_runs: IJobRun[];
  /** `<task_id>:<attempt>` of the runs in `job_runs`: makes recording a redelivered run a no-op. */
  run_keys: string[];
  /** Runs ever recorded. Absent in documents from before the bound: there `job_runs` holds all. */
  runs_total?: number;
  /** The first run recorded, kept when `job_runs` no longer holds it. */
  first_run?: IJobRun;
  result?: Binary;
  /** Values the last OK run glued with scrapbook: JSON bytes of `[[name, value], ...]` (see notebooks/scraps.ts). */
  scraps?: Binary;
  /** Worker running the current attempt (set when it starts). */
  worker: string | null;
  /** The group's `seq`, so all-groups listings come out in map order with one index. */
  group_seq: number;
  created: string;
  updated: string;
  /** Revision: +1 on every update (absent = 0), so the status index can order its writes. */
  rev?: number;
  /** Set on a reduce task: the group and round it reduces. */
  reduce_of?: { job: string; task_group: string; round: number };
  /** Set on a task recorded from the cache: the task whose OK run it reuses. */
  cached_from?: string;
}

/** A task document without its parameter and result bytes (what status listings read). */
export type ITaskSummaryDoc = Omit<ITaskDoc, 'param' | 'result'>;

export interface IResultDoc {
  _id: string;
  task_name: string;
  job: string;
  task_group: string;
  job_id: number;
  task_id: string;
  sha256: string;
  size: number;
  created: string;
}

/** A stored task as the domain type. */
export function toTask(doc: ITaskDoc): ITask {
  // The domain task has no attempt number (it is the summary's, for restarts); keys in the order
  // the API has always sent them.
  const { attempt: _attempt, name, job, task_group, job_id, ...rest } = toTaskSummary(doc);
  const task: ITask = { name, job, task_group, job_id, param: decodeJson(binaryBytes(doc.param)) as JsonValue, ...rest };
  if (doc.result) task.result = decodeJson(binaryBytes(doc.result)) as JsonValue;
  if (doc.reduce_of) task.reduce_of = doc.reduce_of;
  if (doc.cached_from && (doc.attempt ?? 1) === 1) task.cached_from = doc.cached_from;
  return task;
}

/** A stored task, with its parameter and returned value also as their exact JSON text. */
export function toExactTask(doc: ITaskDoc): IExactTask {
  const exact: IExactTask = { task: toTask(doc), param: JsonText.fromBytes(binaryBytes(doc.param)) };
  if (doc.result) exact.result = JsonText.fromBytes(binaryBytes(doc.result));
  if (doc.scraps) exact.scraps = JsonText.fromBytes(binaryBytes(doc.scraps));
  return exact;
}

/** A stored task's state as the domain type (parameter and returned value left out). */
export function toTaskSummary(doc: ITaskSummaryDoc): ITaskSummary {
  return {
    name: doc._id,
    job: doc.job,
    task_group: doc.task_group,
    job_id: doc.job_id,
    main_sha256: doc.main_sha256,
    task_id: doc.task_id,
    attempt: doc.attempt ?? 1,
    state: doc.state,
    run_status: doc.run_status,
    require: doc.require,
    cell_timeout: doc.cell_timeout,
    job_runs: shownRuns(doc),
    runs_total: runsTotal(doc),
    worker: doc.worker ?? null,
    created: doc.created,
    updated: doc.updated,
    // a restart gives the next attempt, run for real: the cache no longer speaks for it
    ...(doc.cached_from && (doc.attempt ?? 1) === 1 ? { cached_from: doc.cached_from } : {})
  };
}

/** The bytes held by a BSON Binary. */
export function binaryBytes(b: Binary): Uint8Array {
  return b.buffer.subarray(0, b.position);
}

let lastSeq = 0;

/** A creation-order number: microseconds since the epoch, strictly increasing in this process. */
export function nextSeq(): number {
  lastSeq = Math.max(Date.now() * 1000, lastSeq + 1);
  return lastSeq;
}

/** Largest parameter array kept in the group document itself (else it goes to a blob). */
export const INLINE_PARAMS_LIMIT = 8 * 1024 * 1024;

/**
 * The Celery task id of task `i`'s first attempt: a UUID derived from the group's salt, so the
 * ids published with the map can be recomputed by whoever creates the task document later.
 */
export function firstTaskId(salt: string, i: number): string {
  const h = createHash('sha256').update(`${salt}:${i}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50; // RFC 4122 layout (name-based), like uuid5
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The document of task `i` of `group` as `map()` makes it, from that parameter's JSON bytes. */
export function taskDocOf(group: ITaskGroupDoc & { task_id_salt: string }, i: number, param: Uint8Array): ITaskDoc {
  return {
    _id: taskName(group.job, group._id, i),
    job: group.job,
    task_group: group._id,
    job_id: i,
    param: new Binary(param),
    main_sha256: group.main_sha256,
    task_id: firstTaskId(group.task_id_salt, i),
    attempt: 1,
    state: 'PENDING',
    run_status: 'unknown',
    require: group.require,
    cell_timeout: group.cell_timeout,
    job_runs: [],
    run_keys: [],
    runs_total: 0,
    worker: null,
    group_seq: group.seq,
    created: group.created,
    updated: group.created
  };
}
