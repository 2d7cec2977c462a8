/**
 * The result notebook of a task killed mid-run keeps the outputs produced before it died, on the
 * real stack (spawned workers, Redis, FerretDB, Kernel Gateway): a worker process SIGKILLed
 * during the task's second cell (its redelivered message records the killed attempt with its
 * partial notebook as result notebook, then runs again), and a kernel killed by its own cell.
 */
import Redis from 'ioredis';
import { CeleryKeys } from '../../../../worker/src/celery/keys';
import { ProgressKeys } from '../../../../worker/src/progress/keys';
import { readLostPartial } from '../../../../worker/src/progress/lost-partial';
import { RedisQueueInspector } from '../../../../worker/src/queue/queue-inspector';
import { TaskReconciler } from '../../../../worker/src/runtime/task-reconciler';
import type { IRunningStack } from '../../../../worker/src/stack';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { StatusIndex } from '../../../../worker/src/storage/status-index';
import type { TestApi } from '../../support/api';
import { usePrivateStack } from '../../support/private-stack';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { settle, waitStarted, workerPid } from '../faults/support';
import { waitFor } from './stack';

jest.setTimeout(240_000);

const VISIBILITY = 4;
let stack: IRunningStack;
let api: TestApi;
let redis: Redis;
let store: NbgridStore;

usePrivateStack('nbgrid-killed-partial-', { workers: 2, visibilityTimeout: VISIBILITY, beforeStop: async () => {
  redis?.disconnect();
  await store?.close();
} }, async (s) => {
  ({ stack, api } = s);
  redis = new Redis(stack.info.redis_url);
  store = await NbgridStore.open(stack.info.mongo_url, { dbName: 'nbgrid', statusIndex: new StatusIndex(redis) });
});

type OutCell = { outputs?: { text?: string | string[]; ename?: string }[] };
type NotebookBody = { content: { cells: OutCell[] } };
const textOf = (cell: OutCell | undefined): string => (cell?.outputs ?? []).map((o) => ([] as string[]).concat(o.text ?? []).join('')).join('');

describe('a worker SIGKILLed while its task runs the second cell', () => {
  it("records the killed attempt with a result notebook holding cell 1's output and cell 2's so far; the redelivered run completes", async () => {
    await api.put(
      'killed',
      notebook([
        PARAM_CELL,
        "print('cell one printed', flush=True)",
        "import time\nprint('cell two started', flush=True)\ntime.sleep(job['param'])\njob['result'] = 'finished'"
      ])
    );
    const m = await api.map('killed', { params: [8] });
    const victim = await waitStarted(api, 'killed', m.task_group);
    const partialRoute = `/api/jobs/killed/tasks/${m.task_group}-0/partial`;
    // Killed only once its notebook so far (written every 2 s and at each cell's end) shows cell 2 running.
    await waitFor(async () => {
      const res = await api.call<NotebookBody>('GET', partialRoute);
      return res.status === 200 && textOf(res.body.content.cells[3]).includes('cell two started');
    }, 'the partial notebook to show cell 2 running', 60_000);
    const victimWorker = (await api.status('killed', m.task_group))[0].worker!;
    process.kill(workerPid(stack, victimWorker), 'SIGKILL');

    const [task] = await settle(api, 'killed', m.task_group, 120_000);
    expect([task.name, task.state, task.run_status]).toEqual([victim.name, 'SUCCESS', 'OK']);
    expect(task.job_runs.map((r) => r.status)).toEqual(['ERROR', 'OK']);
    const [lost, ok] = task.job_runs;
    expect(lost.worker).toBe(victimWorker);
    expect(lost.message).toMatch(/stopped during the run; the task was redelivered; its result notebook holds the outputs produced before it stopped/);
    expect(lost.results).toBeTruthy();
    expect(lost.results).not.toBe(ok.results);

    const killedNb = await api.call<NotebookBody>('GET', `/api/notebooks/${lost.results}`);
    expect(killedNb.status).toBe(200);
    expect(textOf(killedNb.body.content.cells[2])).toBe('cell one printed\n');
    expect(textOf(killedNb.body.content.cells[3])).toBe('cell two started\n');
    const okNb = await api.call<NotebookBody>('GET', `/api/notebooks/${ok.results}`);
    expect(textOf(okNb.body.content.cells[2])).toBe('cell one printed\n');

    // The partial was handed on once: the finished run's reporter removed it.
    expect((await api.call('GET', partialRoute)).status).toBe(404);
    await stack.addWorker({ name: 'worker-3' });
  });
});

describe('a kernel killed by its own cell', () => {
  it("ends the task ERROR with a result notebook holding cell 1's output", async () => {
    await api.put(
      'suicide',
      notebook([PARAM_CELL, "print('cell one printed', flush=True)", "import os, time\ntime.sleep(0.5)\nos.kill(os.getpid(), 9)", "print('never')"])
    );
    const m = await api.map('suicide', { params: [1] });
    const [task] = await settle(api, 'suicide', m.task_group, 120_000);
    expect([task.state, task.run_status]).toEqual(['FAILURE', 'ERROR']);
    const run = task.job_runs[task.job_runs.length - 1];
    expect(run.message).toMatch(/kernel/i);
    const nb = await api.call<NotebookBody>('GET', `/api/notebooks/${run.results}`);
    expect(nb.status).toBe(200);
    expect(textOf(nb.body.content.cells[2])).toBe('cell one printed\n');
    expect(textOf(nb.body.content.cells[4])).toBe('');
  });
});

describe('a running task whose message is gone and whose worker stopped (the reconciler)', () => {
  it("ends FAILURE/ERROR with its partial notebook as the lost run's result notebook; another run's partial is not taken", async () => {
    await api.put('ghostly', notebook([PARAM_CELL, "print('cell one printed', flush=True)"]));
    const [mine, other] = [await api.map('ghostly', { params: [1], require: 'parked-ghostly' }), await api.map('ghostly', { params: [2], require: 'parked-ghostly2' })];
    const keys = new ProgressKeys();
    for (const m of [mine, other]) {
      const t = m.tasks[0];
      await waitFor(async () => (await store.runs.markStarted(t.name, t.task_id, 'nbgrid-9@gone-host')) !== null, `${t.name} marked started`, 30_000);
      const name = t.name.replace(/\.ipynb$/, '');
      const partial = notebook([PARAM_CELL, "print('cell one printed', flush=True)"]) as { cells: { outputs?: unknown[] }[] };
      partial.cells[1].outputs = [{ output_type: 'stream', name: 'stdout', text: `cell one printed by ${t.task_id}\n` }];
      await redis.set(keys.partial(name), JSON.stringify(partial));
      // the second task's partial says it belongs to another run
      await redis.set(keys.partialTaskId(name), m === mine ? t.task_id : 'another-run');
    }
    for (const label of ['parked-ghostly', 'parked-ghostly2']) await redis.del(new CeleryKeys().queue(label));
    const reconciler = new TaskReconciler({
      store: store.stuck, queue: new RedisQueueInspector(redis), liveWorkers: async () => [], minAgeMs: 0, recheckMs: 200,
      lostNotebook: (t) => readLostPartial(redis, keys, t.name, t.task_id)
    });
    const report = await reconciler.reconcileOnce();
    expect(report.repaired.map((t) => t.name).filter((n) => n.startsWith('tasks/ghostly/')).sort()).toEqual([mine, other].map((m) => m.tasks[0].name.replace(/\.ipynb$/, '')).sort());

    const [task] = await settle(api, 'ghostly', mine.task_group, 10_000);
    expect([task.state, task.run_status]).toEqual(['FAILURE', 'ERROR']);
    const lost = task.job_runs[task.job_runs.length - 1];
    expect(lost.message).toContain('Its result notebook holds the outputs produced before it was lost.');
    const nb = await api.call<NotebookBody>('GET', `/api/notebooks/${lost.results}`);
    expect(textOf(nb.body.content.cells[1])).toBe(`cell one printed by ${mine.tasks[0].task_id}\n`);

    const [second] = await settle(api, 'ghostly', other.task_group, 10_000);
    const secondRun = second.job_runs[second.job_runs.length - 1];
    expect([second.state, secondRun.results, secondRun.message.includes('result notebook')]).toEqual(['FAILURE', null, false]);
  });
});
