/**
 * A task's run history, bounded: the first run (`first_run`), the last N runs (`job_runs`) with
 * their keys (`run_keys`, same window) and a count of every run (`runs_total`).
 *
 * Why not `$push` with `$slice`: FerretDB v1.24 accepts `$slice` inside `$push` and ignores it
 * (the array keeps growing), so the new window is computed here from the document as read and
 * written with `$set` by the one writer holding the task's lock (`task-locks.ts`): one update
 * per run, decided on the document as it is.
 *
 * Exactly once after trimming: a run's key is `<task_id>:<attempt>`, where `attempt` is
 * `runs_total + 1` as the worker read it before the run. A run recorded at position p >= attempt
 * keeps its key in the window while `runs_total < p + N`; so while `runs_total < attempt + N` the
 * key check is exact, and a run older than that (`tooOld`) is not added at all: a redelivered
 * copy whose key was trimmed is refused instead of counted again. Documents written before the
 * bound (no `runs_total`) keep every key, so the check is exact there anyway.
 */
import type { IJobRun } from '../domain/types';

/** Runs kept in `job_runs` besides the first. @defaultValue 20 */
export const DEFAULT_RUN_HISTORY = 20;

/** The history fields of a task document (see `ITaskDoc`). */
export interface IHistoryDoc {
  job_runs: IJobRun[];
  run_keys: string[];
  runs_total?: number;
  first_run?: IJobRun;
}

/** Every run ever recorded for the task (documents from before the bound: all are in `job_runs`). */
export function runsTotal(doc: Pick<IHistoryDoc, 'job_runs' | 'runs_total'>): number {
  return doc.runs_total ?? (doc.job_runs ?? []).length;
}

/** The runs to show, oldest first: the first run (when trimmed from the window) and the window. */
export function shownRuns(doc: Pick<IHistoryDoc, 'job_runs' | 'runs_total' | 'first_run'>): IJobRun[] {
  const window = doc.job_runs ?? [];
  if (doc.first_run && runsTotal(doc) > window.length) return [doc.first_run, ...window];
  return window;
}

/** Why a run is not appended. */
export type NotAppended = 'duplicate' | 'too-old';

/**
 * The history fields after appending `run` under `key`, keeping `limit` runs in the window, or
 * why it is not appended: its key is in the window already (`duplicate`), or it is older than the
 * window can tell (`too-old`, see the file comment). `decides` is set for the run that sets the
 * task's outcome: the caller's state condition makes it count once, so it is never too old.
 */
export function appendRun(doc: IHistoryDoc, run: IJobRun, key: string, limit: number, decides = false): IHistoryDoc | NotAppended {
  const keys = doc.run_keys ?? [];
  if (keys.includes(key)) return 'duplicate';
  const total = runsTotal(doc);
  if (!decides && doc.runs_total !== undefined && total >= run.attempt + limit) return 'too-old';
  const next: IHistoryDoc = {
    job_runs: [...(doc.job_runs ?? []), run].slice(-limit),
    run_keys: [...keys, key].slice(-limit),
    runs_total: total + 1
  };
  const first = doc.first_run ?? (doc.job_runs ?? [])[0];
  next.first_run = first ?? run;
  return next;
}
