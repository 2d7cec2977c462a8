/**
 * What the soak checks at the end, task by task: every task final, every task that should succeed
 * exactly one counted OK run (a run stored with status OK; a redelivered or restarted run that
 * finished late is stored as ERROR "not counted: ..."), every task that fails on purpose ERROR
 * with its message, and `results()` equal to what the parameters say.
 */
import { isDeepStrictEqual } from 'util';
import { isFinalState } from '../../worker/src/domain/queue-states';
import type { IResults, ISoakTask } from './soak-client';
import { expectedResult, failureMessage, shouldSucceed, type ISoakParam } from './workload';

/** Why a task is counted against the run (a task may have several). */
export type Problem = 'stuck' | 'lost' | 'duplicate' | 'wrong-outcome' | 'result-mismatch' | 'missing';

export interface ITaskVerdict {
  /** `main` or `cancelled` (the second map). */
  map: string;
  jobId: number;
  task: ISoakTask | undefined;
  param: ISoakParam;
  problems: Problem[];
}

export interface IAccount {
  tasks: number;
  /** Tasks not final at the end of the drain (PENDING, STARTED, RETRY). */
  stuck: number;
  /** Tasks that should succeed and ended without an OK run, or are missing altogether. */
  lost: number;
  /** Tasks with more than one counted OK run. */
  duplicates: number;
  /** Tasks failing on purpose not ERROR with their message, or OK tasks not SUCCESS. */
  wrongOutcome: number;
  /** OK tasks whose value in `results()` differs from the parameters'. */
  resultMismatch: number;
  /** Runs that executed but were not counted (redeliveries, restarts, lost attempts). */
  uncountedRuns: number;
  /** ERROR runs of main-map tasks that should succeed (a fault's or a restart's doing), by message. */
  faultErrors: Map<string, number>;
  verdicts: ITaskVerdict[];
}

/** Messages of runs that executed but do not count: a late run, a lost attempt. */
export const UNCOUNTED = /^not counted|stopped during the run|could not be recorded/;

export const okRuns = (t: ISoakTask): number => t.job_runs.filter((r) => r.status === 'OK').length;
export const lastRun = (t: ISoakTask) => t.job_runs[t.job_runs.length - 1];

/** The main map: every check. */
export function checkMainMap(params: ISoakParam[], tasks: ISoakTask[], results: IResults | null): ITaskVerdict[] {
  const byId = new Map(tasks.map((t) => [t.job_id, t]));
  return params.map((param, jobId) => {
    const task = byId.get(jobId);
    const problems: Problem[] = [];
    if (!task) return { map: 'main', jobId, task, param, problems: ['missing'] };
    const ok = okRuns(task);
    if (!isFinalState(task.state)) problems.push('stuck');
    if (ok > 1) problems.push('duplicate');
    if (shouldSucceed(param)) {
      if (isFinalState(task.state) && ok === 0) problems.push('lost');
      if (ok >= 1 && (task.state !== 'SUCCESS' || task.run_status !== 'OK')) problems.push('wrong-outcome');
      if (ok >= 1 && results && !isDeepStrictEqual(results.results[jobId], expectedResult(param))) problems.push('result-mismatch');
    } else if (isFinalState(task.state)) {
      const message = lastRun(task)?.message ?? '';
      if (ok > 0 || task.run_status !== 'ERROR' || !message.includes(failureMessage(param.i))) problems.push('wrong-outcome');
      if (results && (results.results[jobId] ?? null) !== null) problems.push('result-mismatch');
    }
    return { map: 'main', jobId, task, param, problems };
  });
}

/** The map cancelled midway: final, never two OK runs, no task failing on purpose OK. */
export function checkCancelledMap(params: ISoakParam[], tasks: ISoakTask[]): ITaskVerdict[] {
  const byId = new Map(tasks.map((t) => [t.job_id, t]));
  return params.map((param, jobId) => {
    const task = byId.get(jobId);
    const problems: Problem[] = [];
    if (!task) return { map: 'cancelled', jobId, task, param, problems: ['missing'] };
    if (!isFinalState(task.state)) problems.push('stuck');
    if (okRuns(task) > 1) problems.push('duplicate');
    if (!shouldSucceed(param) && okRuns(task) > 0) problems.push('wrong-outcome');
    return { map: 'cancelled', jobId, task, param, problems };
  });
}

export function account(verdicts: ITaskVerdict[]): IAccount {
  const count = (p: Problem): number => verdicts.filter((v) => v.problems.includes(p)).length;
  return {
    tasks: verdicts.length,
    stuck: count('stuck'),
    lost: count('lost') + count('missing'),
    duplicates: count('duplicate'),
    wrongOutcome: count('wrong-outcome'),
    resultMismatch: count('result-mismatch'),
    faultErrors: faultErrors(verdicts),
    uncountedRuns: verdicts.reduce((n, v) => n + (v.task?.job_runs.filter((r) => /^not counted|stopped during the run|could not be recorded/.test(r.message)).length ?? 0), 0),
    verdicts
  };
}

/** First line of a message with numbers and ids blanked, so runs failing for one reason group together. */
export const messageShape = (message: string): string =>
  message.split('\n')[0].replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>').replace(/\d+(\.\d+)?/g, 'N').slice(0, 140);

function faultErrors(verdicts: ITaskVerdict[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of verdicts) {
    // The cancelled map's interrupted runs are the cancel's doing, not a fault's.
    if (v.map !== 'main' || !shouldSucceed(v.param)) continue;
    for (const r of v.task?.job_runs ?? []) {
      if (r.status !== 'ERROR' || UNCOUNTED.test(r.message)) continue;
      const key = messageShape(r.message);
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}

/** Any loss at all: the soak's exit status. */
export const hasLoss = (a: IAccount): boolean => a.stuck + a.lost + a.duplicates + a.wrongOutcome + a.resultMismatch > 0;
