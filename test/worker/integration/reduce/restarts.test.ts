/**
 * Exactly once across a restart of MongoDB (FerretDB) or of Redis at the moment the last tasks of
 * a group finish, on the real stack (2 workers x concurrency 2): the database is stopped while
 * the last task runs (it finishes during the outage), or the instant the last task's event
 * arrives (its worker's trigger runs then: reading the round, claiming it, writing the reduce
 * task, publishing it, any of which may fail); it stays down 8 s and comes back on the same port
 * and data. What the trigger could not do, the API service's
 * reconciler does (its own pass, or a redelivered message's trigger).
 *
 * Counted three ways, each independent of the others: reduce messages published (the line every
 * publish of a reduce message logs, in every worker's and the API service's log), reduce rounds
 * and reduce task documents stored, and executions of the reduce notebook (it appends a line to
 * a file each time it runs). Each is exactly one, and the reduce saw every task's result.
 */
import * as fs from 'fs';
import * as path from 'path';
import type Redis from 'ioredis';
import { isFinalState } from '../../../../worker/src/domain/queue-states';
import { roundId } from '../../../../worker/src/domain/reduce';
import { TaskEventBus } from '../../../../worker/src/queue';
import type { IRunningStack } from '../../../../worker/src/stack';
import type { NbgridStore } from '../../../../worker/src/storage';
import { Collections } from '../../../../worker/src/storage/collections';
import type { TestApi } from '../../support/api';
import { Replacements } from '../faults/support';
import { reduceRuns, resultsOf, roundsOf, sleep, squareNotebook, summaryNotebook, until, useReduceStack, waitReduced } from './support';

// A round a crash left unqueued is published by the API service's reconciler once it is 20 s old;
// a pass every 5 s instead of 60 s keeps each test well under two minutes (correctness does not
// depend on it: every step is a keyed transition).
process.env.NBGRID_RECONCILE_INTERVAL = '5';

let api: TestApi;
let store: NbgridStore;
let stack: IRunningStack;
let runLog: string;
let replacements: Replacements | undefined;
let redis: Redis;

// Messages held during the outage are not redelivered by the visibility timeout (the last resort,
// 3600 s by default) while their first delivery still runs: 30 s, longer than the 8 s outage.
const VISIBILITY = 30;

useReduceStack('nbgrid-reduce-restarts-', { beforeStop: async () => replacements?.stopAll(), visibilityTimeout: VISIBILITY }, async (s) => {
  ({ api, store, runLog, stack, redis } = s);
  replacements = new Replacements(stack, VISIBILITY);
  await api.put('square', squareNotebook('/nonexistent'));
  await api.put('summary', summaryNotebook(runLog));
});

/** Lines "reduce round <id> ... queued" (one per message published) in the logs of every process of the stack, as `<log>: <line>`. */
function publishedMessages(id: string): string[] {
  const dir = stack.info.run_dir;
  const needle = `reduce round ${id} of `;
  const found: string[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.log'))) {
    for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n')) if (line.includes(needle) && line.includes(' queued: ')) found.push(`${file}: ${line}`);
  }
  return found;
}

interface IWorkerRow {
  hostname: string;
  paused?: string;
}

/** Both workers consuming again (none stays paused after the outage), else the workers' log tails. */
async function bothWorkersConsuming(): Promise<void> {
  const deadline = Date.now() + 60000;
  let last: IWorkerRow[] = [];
  while (Date.now() < deadline) {
    last = await api.call<{ workers: IWorkerRow[] }>('GET', '/api/workers').then((r) => r.body.workers ?? last, () => last);
    if (last.length === 2 && last.every((w) => w.paused === undefined)) return;
    await sleep(500);
  }
  const dir = stack.info.run_dir;
  const tails = fs.readdirSync(dir).filter((f) => /^worker.*\.log$/.test(f)).map((f) => `${f}:\n${fs.readFileSync(path.join(dir, f), 'utf8').split('\n').slice(-40).join('\n')}`);
  throw new Error(`workers not consuming 60 s after the restart: ${JSON.stringify(last)}\n${tails.join('\n')}`);
}

async function reduceTasks(group: string): Promise<number> {
  return until('the reduce tasks counted', () => store.connection.run((db) => db.collection(Collections.tasks).countDocuments({ 'reduce_of.task_group': group })), () => true);
}

/** When the database goes down: while the last task runs (it finishes during the outage), or the instant it is recorded. */
type Moment = 'while the last task runs' | 'as the last task is recorded';

/**
 * Maps 8 tasks (the last two take 3 s and 8 s) and stops `service` the instant the event of the
 * group's 7th or 8th task to finish arrives. A worker publishes a task's event after recording
 * its run and right before its trigger starts: at the 8th, the database goes away while the
 * trigger runs (or just after); at the 7th, the last task finishes during the outage.
 */
async function restartAtTheLastTasks(service: 'ferretdb' | 'redis', at: Moment, downMs: number): Promise<void> {
  const params = [...Array.from({ length: 6 }, (_, i) => i), { x: 6, sleep: 3 }, { x: 7, sleep: 8 }];
  const stopAfter = at === 'while the last task runs' ? params.length - 1 : params.length;
  const final = new Set<string>();
  let stopping: Promise<void> | null = null;
  let group = '';
  const unsubscribe = await new TaskEventBus(redis).subscribe((e) => {
    if (e.task_group !== group || !isFinalState(e.status)) return;
    final.add(e.name);
    if (final.size === stopAfter) stopping ??= replacements!.stop(service);
  });
  try {
    const m = await api.map('square', { params, then: { notebook: 'summary' } });
    group = m.task_group;
    await until('the stop at the last task', async () => stopping !== null, (started) => started, 120000);
    await stopping;
  } finally {
    await unsubscribe();
  }
  await sleep(downMs);
  await replacements!.start(service);

  const reduce = await waitReduced(api, 'square', group, 1, 150000);
  expect(reduce.run_status).toBe('OK');
  await sleep(6000); // a second message published would have run by now
  const published = publishedMessages(roundId(group, 1));
  if (process.env.NBGRID_TEST_VERBOSE) {
    process.stdout.write(`--- ${service} ${at}\n`);
    const dir = stack.info.run_dir;
    const lines = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).flatMap((f) =>
      fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.includes(group) || /paus|resum|MongoDB|reduce/.test(l)).map((l) => `${f}: ${l}`)
    );
    process.stdout.write(`${service}:\n${lines.slice(-60).join('\n')}\n`);
  }
  expect(published).toHaveLength(1);
  expect((await roundsOf(store, group)).map((r) => [r.round, r.queued, r.skipped])).toEqual([[1, true, null]]);
  expect(await reduceTasks(group)).toBe(1);
  expect(reduceRuns(runLog, group)).toBe(1);
  const task = await store.runs.get(reduce.name);
  if (process.env.NBGRID_TEST_VERBOSE) process.stdout.write(`reduce runs: ${JSON.stringify(task.job_runs)}\n`);
  expect(task.job_runs.map((r) => [r.status, r.message, r.worker, r.task_id === task.task_id])).toEqual([['OK', '', expect.any(String), true]]);
  expect((await resultsOf(api, 'square', group)).reduced).toMatchObject({ results: params.map((_, i) => i * i), failed: [] });
  await bothWorkersConsuming();
}

describe('the reduce of a round is queued once and counted once across a database restart', () => {
  for (const service of ['ferretdb', 'redis'] as const) {
    for (const at of ['while the last task runs', 'as the last task is recorded'] as const) {
      it(`${service === 'ferretdb' ? 'MongoDB (FerretDB)' : 'Redis'} restarted ${at}`, async () => {
        await restartAtTheLastTasks(service, at, 8000);
      }, 240000);
    }
  }
});
