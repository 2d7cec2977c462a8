/**
 * `nbgrid up` on a stack whose parts died restarts what is down (same ports, data and tokens) and
 * keeps what runs, without `nbgrid down` first; on a healthy stack it changes nothing.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readStack, type IStackInfo } from '../../../../worker/src/stack';
import { isPidAlive } from '../../../../worker/src/stack/managed-process';
import { nbgridCli } from '../../../../worker/src/stack/paths';
import { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { sleep } from './support';

jest.setTimeout(300000);

let home: string;

function cli(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, NBGRID_HOME: home };
    delete env.NBGRID_URL;
    delete env.NBGRID_TOKEN;
    delete env.NBGRID_MONGO_URL;
    execFile(process.execPath, [nbgridCli, ...args], { env, timeout: 240000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, out: stdout + stderr });
    });
  });
}

async function killed(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 10000;
  while (isPidAlive(pid) && Date.now() < deadline) await sleep(100);
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-repair-'));
  const up = await cli('up', '--workers', '2');
  if (up.code !== 0) throw new Error(`nbgrid up failed: ${up.out}`);
});

afterAll(async () => {
  await cli('down');
  fs.rmSync(home, { recursive: true, force: true });
});

it('on a healthy stack, up says it is up already and starts nothing', async () => {
  const before = readStack(home)!;
  const again = await cli('up');
  expect([again.code, again.out]).toEqual([0, expect.stringMatching(/nbgrid is up already/)]);
  expect(readStack(home)!.pids).toEqual(before.pids);
});

it('restarts the Kernel Gateway, the API service and a worker killed with -9, keeps the rest, and the stack maps again', async () => {
  const before: IStackInfo = readStack(home)!;
  for (const name of ['kernelgateway', 'service', 'worker-2']) await killed(before.pids[name]);
  const repaired = await cli('up');
  expect(repaired.code).toBe(0);
  // the default (fork) kernel launch mode: the gateway's fork server is restarted with it
  expect(repaired.out).toMatch(/restarted kernelgateway, kernelforkserver, service, worker-2/);
  const after = readStack(home)!;
  for (const name of ['redis', 'ferretdb', 'worker-1']) expect([name, after.pids[name]]).toEqual([name, before.pids[name]]);
  for (const name of ['kernelgateway', 'kernelforkserver', 'service', 'worker-2']) {
    expect([name, after.pids[name] !== before.pids[name], isPidAlive(after.pids[name])]).toEqual([name, true, true]);
  }
  // Same URLs and tokens: the clients' stack.json is still right.
  expect({ ...after, pids: {} }).toEqual({ ...before, pids: {} });
  const api = new TestApi(after);
  await api.put('repaired', notebook([PARAM_CELL, "job['result'] = job['param'] * 2"]));
  const deadline = Date.now() + 60000;
  while ((await api.call<{ workers: unknown[] }>('GET', '/api/workers')).body.workers.length < 2 && Date.now() < deadline) await sleep(500);
  const m = await api.map('repaired', { params: [1, 2, 3, 4] });
  const rows = await api.waitDone('repaired', m.task_group, 120000);
  expect(rows.map((r) => r.run_status)).toEqual(['OK', 'OK', 'OK', 'OK']);
});

it('restarts Redis and MongoDB too', async () => {
  const before: IStackInfo = readStack(home)!;
  for (const name of ['redis', 'ferretdb']) await killed(before.pids[name]);
  const repaired = await cli('up');
  expect([repaired.code, repaired.out]).toEqual([0, expect.stringMatching(/restarted redis, ferretdb/)]);
  // Everything answers again (workers resume once their probes see MongoDB back).
  let health = await cli('health');
  const deadline = Date.now() + 60000;
  while (health.code !== 0 && Date.now() < deadline) {
    await sleep(1000);
    health = await cli('health');
  }
  expect([health.code, health.out]).toEqual([0, expect.stringMatching(/^ok +Redis/m)]);
});
