/**
 * A map's reduce step (`then`): the stored notebook run once per round when every task of the
 * group is final. A round is identified by the tasks' attempts: every restart of a task raises
 * its attempt, so `1 + Σ(attempt − 1)` is the same for everyone who sees the group complete, and
 * grows with each restart. Storage implements {@link IReduceStore}; `reduce/` decides.
 */
import type { ReduceWhen } from '../schemas/reduce';
import { isFinalState } from './queue-states';
import type { ITaskSummary } from './task-state';

export type { ReduceWhen } from '../schemas/reduce';

/** A group's reduce step as `map()` stored it (`reduce_specs`, `_id` = the group). */
export interface IReduceSpec {
  /** The mapped group. */
  task_group: string;
  /** The main notebook (job) of the mapped group. */
  job: string;
  /** The reduce notebook. */
  notebook: string;
  when: ReduceWhen;
  /** Worker label (queue) of the reduce task. */
  require: string;
  /** Per-cell timeout of the reduce task (the map's). */
  cell_timeout: number | null;
  created: string;
}

/**
 * One reduce round of a group (`reduce_rounds`, `_id` = `<group>:reduce:<round>`): inserted once,
 * by whoever first finds the round complete (a duplicate key means someone else did).
 */
export interface IReduceRound {
  _id: string;
  job: string;
  task_group: string;
  round: number;
  notebook: string;
  /** The one-task group that runs the reduce notebook (absent when the round was skipped). */
  reduce_group: string | null;
  /** Its task's name and Celery id (derived from group and round, so re-publishing is idempotent). */
  task_name: string | null;
  task_id: string | null;
  require: string;
  /** Why the round does not run (when = all_ok and a task failed, ...); null when it runs. */
  skipped: string | null;
  /** Set once its message was published; a round left unqueued by a crash is queued by the reconciler. */
  queued: boolean;
  created: string;
}

/** The one-task group to create for a round: the spec, the round and the reduce parameter. */
export interface INewReduceTask {
  spec: IReduceSpec;
  round: number;
  /** Worker label of the reduce task. */
  require: string;
  /** Content address of the reduce notebook. */
  main_sha256: string;
  /** `{"task_group", "params", "results", "status", "failed"}` as JSON bytes. */
  param: Uint8Array;
  /** The ids to create it under (the claimed round's); @defaultValue {@link IReduceStore.reduceTaskRef} now */
  ref?: IReduceTaskRef;
}

/** The reduce task made for a round: its group, name and Celery id (the same for every caller). */
export interface IReduceTaskRef {
  reduce_group: string;
  task_name: string;
  task_id: string;
}

/** What the reduce step needs of storage. */
export interface IReduceStore {
  /** Store a group's reduce step (before its tasks are queued). */
  putSpec(spec: IReduceSpec): Promise<void>;
  /** The reduce step of a group, or null when its map has none. */
  spec(taskGroup: string): Promise<IReduceSpec | null>;
  /** The newest groups with a reduce step (for the reconciler), newest first. */
  recentSpecs(limit: number): Promise<IReduceSpec[]>;
  /**
   * The ids the round's reduce task has or will have, written nowhere: the first group id derived
   * from group and round that is free or already this round's, its task's name and Celery id.
   */
  reduceTaskRef(spec: IReduceSpec, round: number): Promise<IReduceTaskRef>;
  /**
   * Create the round's one-task reduce group (idempotent: every caller gets the same task and
   * nothing twice). Only the round's claimer (or the reconciler finishing its claim) calls it, so
   * a reduce task exists only for a claimed round.
   */
  createReduceTask(task: INewReduceTask): Promise<IReduceTaskRef>;
  /** Insert the round; false when it exists already (someone else made the transition). */
  claimRound(round: IReduceRound): Promise<boolean>;
  /**
   * Insert the one-off marker `key` (in the rounds collection, outside every round's `_id` range);
   * false when it exists: who gets true does the one-off thing (re-publishing a round's message).
   */
  claimOnce(key: string): Promise<boolean>;
  /** Mark a round's message published. */
  markQueued(id: string): Promise<void>;
  /** Rounds of a group, by round. */
  rounds(taskGroup: string): Promise<IReduceRound[]>;
  /** Rounds not marked queued, created before `before` (ISO time). */
  unqueued(before: string): Promise<IReduceRound[]>;
}

/** Where a group stands for its reduce step. */
export interface IRoundState {
  /** Every task is final (SUCCESS, FAILURE or REVOKED). */
  complete: boolean;
  round: number;
  allOk: boolean;
  /** Some task was revoked: a cancelled group does not reduce. */
  cancelled: boolean;
}

/** The round of a group from its tasks (see the module comment). */
export function roundState(tasks: Pick<ITaskSummary, 'state' | 'run_status' | 'attempt'>[]): IRoundState {
  let round = 1;
  let complete = tasks.length > 0;
  let allOk = true;
  let cancelled = false;
  for (const t of tasks) {
    round += Math.max(0, (t.attempt ?? 1) - 1);
    if (!isFinalState(t.state)) complete = false;
    if (t.run_status !== 'OK') allOk = false;
    if (t.state === 'REVOKED') cancelled = true;
  }
  return { complete, round, allOk, cancelled };
}

/** `_id` of a group's round. */
export function roundId(taskGroup: string, round: number): string {
  return `${taskGroup}:reduce:${round}`;
}
