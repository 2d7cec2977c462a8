/**
 * A worker killed with -9 leaves its warm pool of kernels behind in the Kernel Gateway; the
 * gateway culls kernels that nobody is connected to once they have been idle for
 * `cullIdleSeconds`, while the pool of a live worker (connected) stays. Short cull settings here;
 * the stack's defaults take an abandoned kernel within about 5.5 minutes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { configEnv } from '../../../../worker/src/config';
import { startGateway, type IRunningStack, type IStartedGateway } from '../../../../worker/src/stack';
import { spawnManaged, type IManagedProcess } from '../../../../worker/src/stack/managed-process';
import { nbgridCli } from '../../../../worker/src/stack/paths';
import type { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { usePrivateStack } from '../../support/private-stack';

jest.setTimeout(180000);

let stack: IRunningStack;
let api: TestApi;
let gateway: IStartedGateway;
const workers: IManagedProcess[] = [];

usePrivateStack(
  'nbgrid-cull-',
  {
    workers: 0,
    beforeStop: async () => {
      for (const w of workers) await w.stop();
      await gateway?.stop();
    }
  },
  (s) => {
    ({ stack, api } = s);
  }
);

const CULL_IDLE = 4;
const CULL_INTERVAL = 1;

async function kernelIds(): Promise<string[]> {
  const res = await fetch(`${gateway.url}/api/kernels`, { headers: { Authorization: `token ${gateway.token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }[]).map((k) => k.id);
}

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function startWorker(name: string, label: string): IManagedProcess {
  const env = {
    ...process.env,
    ...configEnv({
      redisUrl: stack.info.redis_url,
      mongoUrl: stack.info.mongo_url,
      token: stack.info.token,
      gatewayUrl: gateway.url,
      gatewayToken: gateway.token
    }),
    NBGRID_KERNEL_POOL: '2'
  };
  const proc = spawnManaged({
    name,
    command: process.execPath,
    args: [nbgridCli, 'worker', '--hostname', `${name}@%h`, '--label', label],
    dir: path.join(stack.info.run_dir, 'cull'),
    env
  });
  workers.push(proc);
  return proc;
}

it('the kernels of a worker killed with -9, pooled and running, are culled; the pool of a live worker stays', async () => {
  gateway = await startGateway({ dir: path.join(stack.info.run_dir, 'cull-gateway'), cullIdleSeconds: CULL_IDLE, cullIntervalSeconds: CULL_INTERVAL });
  const live = startWorker('cull-live', 'cull-live');
  const live2Pool = await until('the live worker pool', kernelIds, (ids) => ids.length >= 2, 60000);
  const doomed = startWorker('cull-doomed', 'cull-doomed');
  await until('both pools', kernelIds, (ids) => ids.length >= 4, 60000);
  // The doomed worker runs a long silent cell: its kernel is busy when the worker dies.
  await api.put('cull-sleep', notebook([PARAM_CELL, 'import time\ntime.sleep(600)']));
  const m = await api.map('cull-sleep', { params: [1], require: 'cull-doomed' });
  await until('the task to start', async () => (await api.status('cull-sleep', m.task_group))[0].status, (s) => s === 'STARTED', 60000);
  const all = await until('the pool to refill', kernelIds, (ids) => ids.length >= 5, 60000);
  const doomedPool = all.filter((id) => !live2Pool.includes(id));
  expect(doomedPool).toHaveLength(3);

  // Connected kernels are kept however long they are idle.
  await new Promise((r) => setTimeout(r, (CULL_IDLE + 3 * CULL_INTERVAL) * 1000));
  expect((await kernelIds()).sort()).toEqual(all.sort());

  process.kill(doomed.pid, 'SIGKILL');
  const killedAt = Date.now();
  const left = await until('the dead worker pool to be culled', kernelIds, (ids) => doomedPool.every((id) => !ids.includes(id)), 30000);
  const took = (Date.now() - killedAt) / 1000;
  expect(took).toBeLessThan(CULL_IDLE + 5 * CULL_INTERVAL + 5);
  // The live worker's pool is untouched.
  expect(left.sort()).toEqual(live2Pool.sort());
  expect(live.isAlive()).toBe(true);
  const log = fs.readFileSync(gateway.process!.logFile, 'utf8');
  expect(log).toMatch(/[Cc]ulling/);
});
