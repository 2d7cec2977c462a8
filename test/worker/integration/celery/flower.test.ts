/**
 * Flower 2.0.1 from PyPI and the `celery` command line against a real nbgrid stack (Redis,
 * FerretDB, Kernel Gateway, API service, two `nbgrid worker` processes): Flower's pages and API
 * show the workers, their detail page, the tasks with their sent time, exchange and routing key;
 * its pool and queue controls change the workers (as `nbgrid workers` shows), and its shutdown
 * stops one. `nbgrid workers` counts agree with the status table.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import { POOL_AHEAD } from '../../../../worker/src/compose';
import type { IStatusRow } from '../../../../worker/src/domain/types';
import type { IRunningStack } from '../../../../worker/src/stack';
import { freePort } from '../../../../worker/src/stack/free-port';
import type { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { usePrivateStack } from '../../support/private-stack';
import { runPython, venvBin } from './support/python';

jest.setTimeout(300000);

interface IWorkerRow {
  hostname: string;
  labels: string[];
  concurrency: number;
  active: number;
  processed: number;
}

/** What Flower's /api/workers says of a worker (the parts the assertions read). */
interface IFlowerWorker {
  stats: { pool: Record<string, unknown>; total: Record<string, number>; broker: Record<string, unknown> };
  registered: string[];
  active_queues: { name: string }[];
  conf: Record<string, unknown>;
}

let stack: IRunningStack;
let api: TestApi;
let flower: ChildProcess | undefined;
let flowerUrl = '';
let flowerLog = '';

usePrivateStack('nbgrid-flower-', { workers: 2, beforeStop: stopFlower }, async (s) => {
  ({ stack, api } = s);
  const port = await freePort();
  flowerUrl = `http://127.0.0.1:${port}`;
  flower = spawn(path.join(venvBin, 'celery'), ['-b', stack.info.redis_url, 'flower', '--address=127.0.0.1', `--port=${port}`, '--inspect_timeout=15000'], {
    env: { ...process.env, FLOWER_UNAUTHENTICATED_API: 'true' },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  flower.stdout?.on('data', (d: Buffer) => (flowerLog += d.toString()));
  flower.stderr?.on('data', (d: Buffer) => (flowerLog += d.toString()));
  await until('Flower to answer', async () => (await fetch(`${flowerUrl}/healthcheck`).catch(() => null))?.ok, 60000);
});

async function stopFlower(): Promise<void> {
  if (!flower || flower.exitCode !== null) return;
  const exited = new Promise((r) => flower!.once('exit', r));
  flower.kill('SIGTERM');
  const timer = setTimeout(() => flower?.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timer);
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false | null> | T | undefined | false | null, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nFlower log:\n${flowerLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function flowerGet(route: string): Promise<{ status: number; text: string }> {
  const res = await fetch(flowerUrl + route);
  return { status: res.status, text: await res.text() };
}
async function flowerJson<T = unknown>(route: string): Promise<T> {
  const res = await flowerGet(route);
  if (res.status !== 200) throw new Error(`GET ${route}: ${res.status} ${res.text.slice(0, 500)}`);
  return JSON.parse(res.text) as T;
}
async function flowerPost(route: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(flowerUrl + route, { method: 'POST', body: '' });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // an HTML error page: kept as text for the assertion message
  }
  return { status: res.status, body };
}

const workers = async (): Promise<IWorkerRow[]> => (await api.call<{ workers: IWorkerRow[] }>('GET', '/api/workers')).body.workers;

const echo = notebook([PARAM_CELL, "job['result'] = job['param']"]);

async function mapAndWait(job: string, n: number, extra: Record<string, unknown> = {}): Promise<{ group: string; rows: IStatusRow[] }> {
  await api.put(job, echo);
  const res = await api.map(job, { params: Array.from({ length: n }, (_, i) => i), ...extra });
  const rows = await api.waitDone(job, res.task_group, 240000);
  return { group: res.task_group, rows };
}

describe('Flower and nbgrid workers', () => {
  let names: string[] = [];
  let firstGroup: { group: string; rows: IStatusRow[] };

  it('nbgrid workers shows the same active and processed counts as the status table after a map of 10', async () => {
    names = (await until('two workers', async () => {
      const w = await workers();
      return w.length === 2 && w;
    })).map((w) => w.hostname).sort();
    firstGroup = await mapAndWait('counts', 10);
    expect(firstGroup.rows.every((r) => r.status === 'SUCCESS')).toBe(true);
    const byWorker = (h: string): number => firstGroup.rows.filter((r) => r.worker === h).length;
    // The counts follow each task's end at once (not the next periodic heartbeat).
    const seen = await until('counts that agree with the status table', async () => {
      const w = await workers();
      return w.length === 2 && w.every((x) => x.active === 0 && x.processed === byWorker(x.hostname)) && w;
    }, 15000);
    expect(seen.reduce((sum, w) => sum + w.processed, 0)).toBe(10);
  });

  it("Flower's workers API and worker page show stats, pool, broker, queues and the registered task", async () => {
    const info = await until('both workers in Flower with stats', async () => {
      const w = await flowerJson<Record<string, IFlowerWorker>>('/api/workers?refresh=1');
      return names.every((n) => w[n]?.stats && w[n]?.registered) && w;
    });
    for (const name of names) {
      const w = info[name];
      expect(w.stats.broker).toMatchObject({ transport: 'redis', hostname: '127.0.0.1' });
      expect(w.stats.pool['max-concurrency']).toBe(1);
      expect(w.stats.total['nbgrid.run_notebook']).toBe(firstGroup.rows.filter((r) => r.worker === name).length);
      expect(w.registered).toEqual(['nbgrid.run_notebook']);
      expect(w.active_queues.map((q) => q.name)).toEqual(['default']);
      expect(w.conf).toMatchObject({ worker_concurrency: 1 });
      const page = await flowerGet(`/worker/${encodeURIComponent(name)}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Max concurrency');
      expect(page.text).toContain('nbgrid.run_notebook');
      expect(page.text).toContain('127.0.0.1');
    }
    const list = await flowerGet('/workers');
    expect(list.status).toBe(200);
  });

  it("Flower's task list and task detail show the map's tasks with sent time, exchange and routing key", async () => {
    const tasks = await until('the tasks in Flower', async () => {
      const t = await flowerJson<Record<string, { state: string }>>('/api/tasks');
      return firstGroup.rows.every((r) => t[r.task_id]?.state === 'SUCCESS') && t;
    });
    expect(Object.keys(tasks)).toEqual(expect.arrayContaining(firstGroup.rows.map((r) => r.task_id)));
    const row = firstGroup.rows[0];
    const detail = await flowerJson<Record<string, unknown>>(`/api/task/info/${row.task_id}`);
    expect(detail).toMatchObject({ name: 'nbgrid.run_notebook', state: 'SUCCESS', exchange: '', routing_key: 'default', worker: row.worker });
    expect(detail.sent).toEqual(expect.any(Number));
    expect(detail.received).toBeGreaterThanOrEqual(detail.sent as number);
    const page = await flowerGet(`/task/${row.task_id}`);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/routing_key|Routing key/i);
    expect(page.text).toContain('default');
  });

  /** Kernels on the stack's gateway (the workers' warm pools; nothing runs between tests). */
  const gatewayKernels = async (): Promise<number> => {
    const res = await fetch(`${stack.info.gateway_url}/api/kernels`, { headers: { Authorization: `token ${stack.info.gateway_token}` } });
    return ((await res.json()) as unknown[]).length;
  };

  it('pool grow and shrink from Flower change the concurrency nbgrid workers shows, and the kernel pool follows', async () => {
    const name = names[0];
    // Two workers at concurrency 1 keep 1 + POOL_AHEAD ready kernels each.
    const warm = 2 * (1 + POOL_AHEAD);
    await until(`${warm} warm kernels`, async () => (await gatewayKernels()) === warm);
    const grown = await flowerPost(`/api/worker/pool/grow/${encodeURIComponent(name)}?n=1`);
    expect(grown).toEqual({ status: 200, body: { message: `Growing '${name}' worker's pool by 1` } });
    await until('concurrency 2', async () => (await workers()).find((w) => w.hostname === name)?.concurrency === 2);
    const stats = await flowerJson<Record<string, IFlowerWorker>>(`/api/workers?refresh=1&workername=${encodeURIComponent(name)}`);
    expect(stats[name].stats.pool['max-concurrency']).toBe(2);
    await until('one more warm kernel on the grown worker', async () => (await gatewayKernels()) === warm + 1);
    const shrunk = await flowerPost(`/api/worker/pool/shrink/${encodeURIComponent(name)}?n=1`);
    expect(shrunk).toEqual({ status: 200, body: { message: `Shrinking '${name}' worker's pool by 1` } });
    await until('concurrency 1', async () => (await workers()).find((w) => w.hostname === name)?.concurrency === 1);
    await until('the surplus kernel shut down', async () => (await gatewayKernels()) === warm);
    const refused = await flowerPost(`/api/worker/pool/shrink/${encodeURIComponent(name)}?n=1`);
    expect(refused.status).toBe(403);
  });

  it('add consumer from Flower makes a worker serve the gpu label; cancel consumer stops it', async () => {
    const name = names[1];
    const added = await flowerPost(`/api/worker/queue/add-consumer/${encodeURIComponent(name)}?queue=gpu`);
    expect(added.status).toBe(200);
    expect((added.body as { message: string }).message).toBe('add consumer gpu');
    await until('the gpu label in nbgrid workers', async () => (await workers()).find((w) => w.hostname === name)?.labels.includes('gpu'));
    const cli = await runPython(stack.info.redis_url, 'celery', ['-b', stack.info.redis_url, 'inspect', 'active_queues', '-d', name, '--json', '-t', '15'], 90000);
    expect((JSON.parse(cli) as Record<string, { name: string }[]>)[name].map((q) => q.name)).toEqual(['default', 'gpu']);
    const { rows } = await mapAndWait('on-gpu', 3, { require: 'gpu' });
    expect(rows.map((r) => [r.status, r.worker])).toEqual(rows.map(() => ['SUCCESS', name]));
    const cancelled = await flowerPost(`/api/worker/queue/cancel-consumer/${encodeURIComponent(name)}?queue=gpu`);
    expect(cancelled).toEqual({ status: 200, body: { message: 'no longer consuming from gpu' } });
    await until('no gpu label', async () => !(await workers()).find((w) => w.hostname === name)?.labels.includes('gpu'));
  });

  it('celery inspect stats / registered / conf answer for nbgrid workers', async () => {
    const stats = JSON.parse(await runPython(stack.info.redis_url, 'celery', ['-b', stack.info.redis_url, 'inspect', 'stats', '--json', '-t', '15'], 90000));
    expect(Object.keys(stats).sort()).toEqual(names);
    for (const name of names) expect(stats[name]).toMatchObject({ broker: { transport: 'redis' }, pool: { 'max-concurrency': 1 }, prefetch_count: expect.any(Number) });
    const registered = JSON.parse(await runPython(stack.info.redis_url, 'celery', ['-b', stack.info.redis_url, 'inspect', 'registered', '--json', '-t', '15'], 90000));
    expect(registered[names[0]]).toEqual(['nbgrid.run_notebook']);
  });

  it('shutdown from Flower stops the worker: it goes offline and its process exits', async () => {
    const name = names[1];
    const res = await flowerPost(`/api/worker/shutdown/${encodeURIComponent(name)}`);
    expect(res).toEqual({ status: 200, body: { message: 'Shutting down!' } });
    await until('the worker gone from nbgrid workers', async () => !(await workers()).some((w) => w.hostname === name));
    const proc = stack.processes.find((p) => name.startsWith(`${p.name}@`));
    if (proc) await until('the worker process to exit', () => !proc.isAlive());
    const left = await workers();
    expect(left.map((w) => w.hostname)).toEqual([names[0]]);
  });
});
