/**
 * Shapes of the stored documents and their conversion to the domain types. Parameters, returned
 * values and notebook content are JSON bytes in BSON Binary (DESIGN.md); query fields sit beside.
 */
import type { Binary } from 'mongodb';
import type { IJobRun, ITask, JsonValue, QueueState, RunStatus } from '../domain/types';
import { decodeJson } from './json-bytes';

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
  job_runs: IJobRun[];
  /** `<task_id>:<attempt>` of every recorded run: makes recording a redelivered run a no-op. */
  run_keys: string[];
  result?: Binary;
  /** Worker running the current attempt (set when it starts). */
  worker: string | null;
  /** The group's `seq`, so all-groups listings come out in map order with one index. */
  group_seq: number;
  created: string;
  updated: string;
}

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
  const task: ITask = {
    name: doc._id,
    job: doc.job,
    task_group: doc.task_group,
    job_id: doc.job_id,
    param: decodeJson(binaryBytes(doc.param)) as JsonValue,
    main_sha256: doc.main_sha256,
    task_id: doc.task_id,
    state: doc.state,
    run_status: doc.run_status,
    require: doc.require,
    cell_timeout: doc.cell_timeout,
    job_runs: doc.job_runs ?? [],
    worker: doc.worker ?? null,
    created: doc.created,
    updated: doc.updated
  };
  if (doc.result) task.result = decodeJson(binaryBytes(doc.result)) as JsonValue;
  return task;
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
