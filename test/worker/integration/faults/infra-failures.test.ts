/**
 * Infrastructure failures are not task failures: with the Kernel Gateway down, workers pause
 * (they say so in /api/workers) instead of draining the queue into FAILUREs, the task that was
 * running is retried as an infrastructure failure, and everything resumes when the gateway is
 * back. With Redis down, a map answers 503 naming Redis within seconds and stores nothing; a
 * worker whose Redis is gone still stops on SIGTERM within its shutdown grace. A worker killed
 * with -9 has its running and prefetched tasks given back within about half a minute, with the
 * visibility timeout left at kombu's hour.
 */
import { execFile } from 'child_process';
import { configEnv } from '../../../../worker/src/config';
import type { IRunningStack } from '../../../../worker/src/stack';
import { spawnManaged, type IManagedProcess } from '../../../../worker/src/stack/managed-process';
import { nbgridCli } from '../../../../worker/src/stack/paths';
import type { TestApi } from '../../support/api';
import { usePrivateStack } from '../../support/private-stack';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { Replacements, settle, sleep, tasksOf, waitStarted, waitTasks, workerPid } from './support';

const VISIBILITY = 3600;
let stack: IRunningStack;
let api: TestApi;
let replacements: Replacements;
const extra: IManagedProcess[] = [];

usePrivateStack(
  'nbgrid-infra-',
  { workers: 2, visibilityTimeout: VISIBILITY, beforeStop: async () => {
    for (const p of extra) await p.stop();
    await replacements?.stopAll();
  } },
  async (s) => {
    ({ stack, api } = s);
    replacements = new Replacements(stack, VISIBILITY);
    await api.put('sleepy', notebook([PARAM_CELL, "import time\ntime.sleep(job['param'])\njob['result'] = job['param']"]));
  }
);

interface IWorkerRow {
  hostname: string;
  paused?: string;
}

async function workers(): Promise<IWorkerRow[]> {
  return (await api.call<{ workers: IWorkerRow[] }>('GET', '/api/workers')).body.workers;
}

async function waitWorkers(predicate: (ws: IWorkerRow[]) => boolean, timeoutMs = 30000): Promise<IWorkerRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ws = await workers();
    if (predicate(ws)) return ws;
    if (Date.now() > deadline) throw new Error(`workers never matched: ${JSON.stringify(ws)}`);
    await sleep(300);
  }
}

/** `nbgrid health` against this stack: its exit code and output. */
function health(): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, NBGRID_URL: stack.info.api_url, NBGRID_TOKEN: stack.info.token };
    execFile(process.execPath, [nbgridCli, 'health'], { env, timeout: 30000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, out: stdout + stderr });
    });
  });
}

describe('the Kernel Gateway down for a while', () => {
  it('pauses the workers (shown in /api/workers), fails no task, retries the running one as an infrastructure failure, and resumes when it is back', async () => {
    const m = await api.map('sleepy', { params: [3, 1, 1, 1, 1, 1] });
    const running = await waitStarted(api, 'sleepy', m.task_group);
    await replacements.stop('kernelgateway');
    // Both workers notice within seconds and say why in their heartbeat.
    const paused = await waitWorkers((ws) => ws.length >= 2 && ws.every((w) => /Kernel Gateway/.test(w.paused ?? '')));
    expect(paused.every((w) => w.paused!.includes(stack.info.gateway_url))).toBe(true);
    // `nbgrid health` names it and exits non-zero; MongoDB and Redis are up.
    const down = await health();
    expect(down.code).toBe(1);
    expect(down.out).toMatch(/^down +gateway of worker-\d@\S+ +Kernel Gateway unreachable at/m);
    expect(down.out).toMatch(/^ok +MongoDB/m);
    expect(down.out).toMatch(/^ok +Redis/m);
    await sleep(6000);
    // Nothing drained into failures meanwhile.
    const during = (await tasksOf(api, 'sleepy', m.task_group))!;
    expect(during.filter((t) => t.state === 'FAILURE').map((t) => [t.name, t.job_runs.map((r) => r.message)])).toEqual([]);
    await replacements.start('kernelgateway');
    await waitWorkers((ws) => ws.length >= 2 && ws.every((w) => w.paused === undefined));
    const up = await health();
    expect([up.code, up.out]).toEqual([0, expect.stringMatching(/^ok +API service/m)]);
    const tasks = await settle(api, 'sleepy', m.task_group, 90000);
    expect(tasks.map((t) => [t.state, t.run_status])).toEqual(tasks.map(() => ['SUCCESS', 'OK']));
    for (const t of tasks) expect(t.job_runs.filter((r) => r.status === 'OK')).toHaveLength(1);
    // The run the outage cut short is in the history, named as an infrastructure failure.
    const hit = tasks.find((t) => t.name === running.name)!;
    expect(hit.job_runs[0].status).toBe('ERROR');
    expect(hit.job_runs[0].message).toMatch(/^infrastructure failure: .*gateway/i);
    expect(hit.job_runs[hit.job_runs.length - 1].status).toBe('OK');
  });
});

describe('Redis down', () => {
  afterAll(async () => {
    if (!(await redisUp())) await replacements.start('redis');
  });

  async function redisUp(): Promise<boolean> {
    const health = await api.call<{ redis: string }>('GET', '/api/health').catch(() => null);
    return health?.body.redis === 'ok';
  }

  it('a map answers 503 within seconds naming Redis, and stores nothing', async () => {
    const before = (await api.call<{ groups: unknown[] }>('GET', '/api/jobs/sleepy/groups')).body.groups.length;
    await replacements.stop('redis');
    const t0 = Date.now();
    const res = await api.call<{ message: string; hint?: { part: string } }>('POST', '/api/jobs/sleepy/map', { params: [1, 2] });
    const took = Date.now() - t0;
    expect([res.status, res.body.hint?.part]).toEqual([503, 'redis']);
    expect(res.body.message).toMatch(/Redis/);
    expect(res.body.message).not.toMatch(/maxRetriesPerRequest/);
    expect(took).toBeLessThan(8000);
    const down = await health();
    expect(down.code).toBe(1);
    expect(down.out).toMatch(/^down +Redis/m);
    await replacements.start('redis');
    await waitWorkers((ws) => ws.length >= 2, 30000);
    const after = (await api.call<{ groups: unknown[] }>('GET', '/api/jobs/sleepy/groups')).body.groups.length;
    expect(after).toBe(before);
  });

  it('a worker whose Redis is gone stops on SIGTERM within its shutdown grace', async () => {
    const info = stack.info;
    const env = {
      ...process.env,
      ...configEnv({ redisUrl: info.redis_url, mongoUrl: info.mongo_url, gatewayUrl: info.gateway_url, gatewayToken: info.gateway_token }),
      NBGRID_SHUTDOWN_GRACE: '6'
    };
    const proc = spawnManaged({ name: 'worker-grace', command: process.execPath, args: [nbgridCli, 'worker', '--hostname', 'worker-grace@%h'], dir: info.run_dir, env });
    extra.push(proc);
    await waitWorkers((ws) => ws.some((w) => w.hostname.startsWith('worker-grace@')), 60000);
    await replacements.stop('redis');
    await sleep(1000);
    const t0 = Date.now();
    process.kill(proc.pid, 'SIGTERM');
    while (proc.isAlive() && Date.now() - t0 < 20000) await sleep(100);
    const took = Date.now() - t0;
    expect([proc.isAlive(), took < 8000]).toEqual([false, true]);
    await replacements.start('redis');
  });
});

describe('a map after the outages', () => {
  it('runs to the end', async () => {
    const m = await api.map('sleepy', { params: [0, 0] });
    const tasks = await waitTasks(api, 'sleepy', m.task_group, (ts) => ts.every((t) => t.state === 'SUCCESS'), 60000);
    expect(tasks).toHaveLength(2);
  });
});

describe('a worker killed with -9 (visibility timeout one hour)', () => {
  it('gives back its running and prefetched tasks within about half a minute; the history says the worker was lost', async () => {
    const m = await api.map('sleepy', { params: [8, 8, 8, 8] });
    const victim = await waitStarted(api, 'sleepy', m.task_group);
    const victimWorker = (await api.status('sleepy', m.task_group)).find((r) => r.name === victim.name)!.worker!;
    await sleep(1000); // its prefetched message is taken by now
    const t0 = Date.now();
    process.kill(workerPid(stack, victimWorker), 'SIGKILL');
    const tasks = await waitTasks(api, 'sleepy', m.task_group, (ts) => ts.every((t) => t.state === 'SUCCESS'), 90000);
    expect(Date.now() - t0).toBeLessThan(75000);
    for (const t of tasks) expect(t.job_runs.filter((r) => r.status === 'OK')).toHaveLength(1);
    const killed = tasks.find((t) => t.name === victim.name)!;
    expect(killed.job_runs.map((r) => r.status)).toEqual(['ERROR', 'OK']);
    expect(killed.job_runs[0].message).toMatch(new RegExp(`worker ${victimWorker} stopped during the run`));
    expect(killed.job_runs[1].worker).not.toBe(victimWorker);
  });
});
