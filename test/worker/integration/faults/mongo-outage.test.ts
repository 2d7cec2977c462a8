/**
 * MongoDB (FerretDB) down for a while with one worker left (the other killed with SIGKILL), then
 * started again on the same port and data: the remaining worker pauses (its heartbeat names
 * MongoDB), resumes by itself once MongoDB answers, finishes the group it was running and runs a
 * new map. Outages of 20 s (tasks running) and 15 s (worker idle): longer than the probes' backoff
 * ceiling and the driver's heartbeat interval, unlike the 3 s restart in service-restarts.test.ts.
 */
import type { IRunningStack } from '../../../../worker/src/stack';
import type { TestApi } from '../../support/api';
import { usePrivateStack } from '../../support/private-stack';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { Replacements, settle, sleep, waitStarted, workerPid } from './support';

const VISIBILITY = 4;
let stack: IRunningStack;
let api: TestApi;
let replacements: Replacements;

usePrivateStack('nbgrid-mongo-outage-', { workers: 2, visibilityTimeout: VISIBILITY, beforeStop: () => replacements?.stopAll() }, async (s) => {
  ({ stack, api } = s);
  replacements = new Replacements(stack, VISIBILITY);
  await api.put('sleepy', notebook([PARAM_CELL, "import time\ntime.sleep(job['param'])\njob['result'] = job['param']"]));
});

interface IWorkerRow {
  hostname: string;
  paused?: string;
}

/** Polls /api/workers (from Redis heartbeats: it answers while MongoDB is down) until `predicate` holds. */
async function waitWorkers(what: string, predicate: (ws: IWorkerRow[]) => boolean, timeoutMs = 60000): Promise<IWorkerRow[]> {
  const deadline = Date.now() + timeoutMs;
  let last: IWorkerRow[] = [];
  for (;;) {
    last = await api.call<{ workers: IWorkerRow[] }>('GET', '/api/workers').then((r) => r.body.workers ?? last, () => last);
    if (predicate(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: workers never matched: ${JSON.stringify(last)}`);
    await sleep(300);
  }
}

const pausedBy = (host: string, pattern: RegExp) => (ws: IWorkerRow[]): boolean => pattern.test(ws.find((w) => w.hostname === host)?.paused ?? '');
const consuming = (host: string) => (ws: IWorkerRow[]): boolean => ws.some((w) => w.hostname === host && w.paused === undefined);

/** Stops FerretDB, waits until `host` says it is paused for MongoDB, keeps it down `downMs`, starts it again. */
async function outage(host: string, downMs: number): Promise<void> {
  await replacements.stop('ferretdb');
  await waitWorkers('paused for MongoDB', pausedBy(host, /MongoDB/));
  await sleep(downMs);
  await replacements.start('ferretdb');
}

/** A new map of two short tasks ends OK on the remaining worker. */
async function newMapRuns(host: string): Promise<void> {
  const m = await api.map('sleepy', { params: [1, 1] });
  const tasks = await settle(api, 'sleepy', m.task_group, 90000);
  expect(tasks.map((t) => [t.run_status, t.job_runs[t.job_runs.length - 1]?.worker])).toEqual([['OK', host], ['OK', host]]);
}

let left = '';

it('with tasks running on the one worker left: pauses, resumes by itself after 20 s down, finishes the group, runs a new map', async () => {
  const m = await api.map('sleepy', { params: [6, 6, 6, 6] });
  const ws = await waitWorkers('two workers', (w) => w.length >= 2);
  const victim = await waitStarted(api, 'sleepy', m.task_group);
  const victimWorker = (await api.status('sleepy', m.task_group)).find((r) => r.name === victim.name)!.worker!;
  process.kill(workerPid(stack, victimWorker), 'SIGKILL');
  left = ws.find((w) => w.hostname !== victimWorker)!.hostname;
  await waitStarted(api, 'sleepy', m.task_group);
  await outage(left, 20000);
  await waitWorkers('resumed', consuming(left), 60000);
  const tasks = await settle(api, 'sleepy', m.task_group, 120000);
  expect(tasks.map((t) => t.run_status)).toEqual(['OK', 'OK', 'OK', 'OK']);
  await newMapRuns(left);
}, 300000);

it('with the worker idle: pauses, resumes by itself after 15 s down, runs a new map', async () => {
  expect(left).not.toBe('');
  await outage(left, 15000);
  await waitWorkers('resumed', consuming(left), 60000);
  await newMapRuns(left);
}, 300000);
