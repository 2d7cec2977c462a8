/**
 * A stack of its own for the reduce tests: 2 workers x concurrency 2 (tasks finish together on
 * both), a short visibility timeout (a killed worker's message comes back within seconds), the
 * store opened in this process to look at reduce rounds, and a reduce notebook that appends one
 * line per execution to a file: the count of reduce runs, independent of what nbgrid records.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Redis from 'ioredis';
import { isFinalState } from '../../../../worker/src/domain/queue-states';
import type { IReduceRound } from '../../../../worker/src/domain/reduce';
import type { IStatusRow } from '../../../../worker/src/domain/types';
import { upStack, type IRunningStack } from '../../../../worker/src/stack';
import { NbgridStore } from '../../../../worker/src/storage';
import { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface IReduceStack {
  stack: IRunningStack;
  api: TestApi;
  store: NbgridStore;
  redis: Redis;
  home: string;
  /** File the reduce notebook appends `<group> <round-ish>` to on every execution. */
  runLog: string;
}

/** Registers beforeAll/afterAll for a private stack; `ready` gets it. */
export function useReduceStack(
  prefix: string,
  options: { beforeStop?: () => Promise<void>; /** @defaultValue 4 (s) */ visibilityTimeout?: number },
  ready: (s: IReduceStack) => void | Promise<void>
): void {
  let s: IReduceStack | undefined;
  beforeAll(async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const stack = await upStack({ home, workers: 2, concurrency: 2, visibilityTimeout: options.visibilityTimeout ?? 4, detached: false });
    const store = await NbgridStore.open(stack.info.mongo_url);
    const redis = new Redis(stack.info.redis_url, { maxRetriesPerRequest: null });
    redis.on('error', () => undefined);
    s = { stack, api: new TestApi(stack.info), store, redis, home, runLog: path.join(home, 'reduce-runs.log') };
    await ready(s);
  }, 180000);
  afterAll(async () => {
    await options.beforeStop?.();
    await s?.store.close();
    s?.redis.disconnect();
    await s?.stack.down();
    if (s) fs.rmSync(s.home, { recursive: true, force: true });
  });
}

/** A task notebook: returns its parameter squared; raises for parameters listed in `failIf` unless `flag` exists. */
export function squareNotebook(flag: string): Record<string, unknown> {
  return notebook([
    PARAM_CELL,
    `import os, time\np = job['param']\nif isinstance(p, dict):\n    time.sleep(p.get('sleep', 0)); p = p['x']\n` +
      `if p < 0 and not os.path.exists(${JSON.stringify(flag)}):\n    raise ValueError(f'negative {p}')\njob['result'] = abs(p) ** 2`
  ]);
}

/** The reduce notebook: logs one line per execution, returns what it received. */
export function summaryNotebook(runLog: string): Record<string, unknown> {
  return notebook([
    { source: "job = globals().get('job', {})", tags: ['parameters'] },
    `with open(${JSON.stringify(runLog)}, 'a') as f:\n    f.write(job['task_group'] + '\\n')\n` +
      "job['result'] = {k: job[k] for k in ('task_group', 'params', 'results', 'status', 'failed')}\n" +
      "job['result']['total'] = sum(r for r in job['results'] if r is not None)"
  ]);
}

/** Lines the reduce notebook logged for `group`. */
export function reduceRuns(runLog: string, group: string): number {
  if (!fs.existsSync(runLog)) return 0;
  return fs.readFileSync(runLog, 'utf8').split('\n').filter((l) => l === group).length;
}

/** Polls until `predicate` holds (riding out an API outage); returns its last value. */
export async function until<T>(what: string, read: () => Promise<T>, predicate: (v: T) => boolean, timeoutMs = 180000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await read();
      if (predicate(last)) return last;
    } catch {
      // the API or a database is down for the moment
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await sleep(300);
  }
}

/** Status rows of a group, the reduce row apart. */
export async function rowsOf(api: TestApi, job: string, group: string): Promise<{ tasks: IStatusRow[]; reduce: IStatusRow | undefined }> {
  const rows = await api.status(job, group);
  return { tasks: rows.filter((r) => r.reduce_round === undefined), reduce: rows.find((r) => r.reduce_round !== undefined) };
}

/** Waits until the group's tasks are final and its reduce row (of `round`) is final too. */
export async function waitReduced(api: TestApi, job: string, group: string, round = 1, timeoutMs = 180000): Promise<IStatusRow> {
  const { reduce } = await until(
    `the reduce row of ${group} round ${round}`,
    () => rowsOf(api, job, group),
    (r) => r.tasks.every((t) => isFinalState(t.status)) && r.reduce?.reduce_round === round && isFinalState(r.reduce.status),
    timeoutMs
  );
  return reduce as IStatusRow;
}

/** The rounds stored for a group. */
export function roundsOf(store: NbgridStore, group: string): Promise<IReduceRound[]> {
  return store.reduce.rounds(group);
}

/** The results answer of a group. */
export async function resultsOf(api: TestApi, job: string, group: string): Promise<{ results: unknown[]; missing: number[]; reduced?: unknown }> {
  const res = await api.call<{ results: unknown[]; missing: number[]; reduced?: unknown }>('GET', `/api/jobs/${encodeURIComponent(job)}/results?task_group=${group}`);
  return res.body;
}
