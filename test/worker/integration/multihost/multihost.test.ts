/**
 * Node selection across hosts: Redis and MongoDB on the main network namespace, and two worker
 * "hosts" in network namespaces of their own (veth pairs on a bridge), each with its own Kernel
 * Gateway and label. Also: a worker finds a GPU through nvidia-smi, and a map whose label no live
 * worker serves is queued with a warning.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort, IRunningStack, kernelSafeEnv, upStack, venvBin, waitFor } from '../../../../worker/src/stack';
import { IManagedProcess, spawnManaged, tailLog } from '../../../../worker/src/stack/managed-process';
import { nbgridCli } from '../../../../worker/src/stack/paths';
import { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { TestNetwork } from './netns';

interface IWorkerRow {
  hostname: string;
  labels: string[];
  concurrency: number;
  active: number;
  processed: number;
  last_seen: string;
}

let stack: IRunningStack;
let api: TestApi;
let home: string;
let net: TestNetwork;
const procs: IManagedProcess[] = [];

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-multihost-'));
  net = new TestNetwork();
  net.create();
  stack = await upStack({ home, workers: 0, detached: false, host: net.mainAddress, visibilityTimeout: 5 });
  api = new TestApi(stack.info);
  await api.put('where', notebook([PARAM_CELL, "import socket\njob['result'] = job['param']"]));
}, 180000);

afterAll(async () => {
  for (const p of procs.reverse()) await p.stop();
  await stack?.down();
  net?.remove();
  fs.rmSync(home, { recursive: true, force: true });
});

async function workers(): Promise<IWorkerRow[]> {
  return (await api.call<{ workers: IWorkerRow[] }>('GET', '/api/workers')).body.workers;
}

async function waitWorker(prefix: string): Promise<IWorkerRow> {
  let found: IWorkerRow | undefined;
  await waitFor(`worker ${prefix}`, async () => (found = (await workers()).find((w) => w.hostname.startsWith(prefix))) !== undefined, {
    timeoutMs: 60000,
    intervalMs: 250
  });
  return found!;
}

const workerEnv = (redisUrl: string, mongoUrl: string, gatewayUrl: string, gatewayToken: string): NodeJS.ProcessEnv => ({
  ...process.env,
  NBGRID_REDIS_URL: redisUrl,
  NBGRID_MONGO_URL: mongoUrl,
  NBGRID_GATEWAY_URL: gatewayUrl,
  NBGRID_GATEWAY_TOKEN: gatewayToken,
  NBGRID_VISIBILITY_TIMEOUT: '5'
});

describe('worker labels', () => {
  it('a worker on a machine where nvidia-smi lists a GPU adds the gpu label and says so', async () => {
    const bin = path.join(home, 'fakebin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'nvidia-smi'), "#!/bin/sh\necho 'GPU 0: Fake (UUID: GPU-0)'\n", { mode: 0o755 });
    const proc = spawnManaged({
      name: 'gpu-probe',
      command: process.execPath,
      args: [nbgridCli, 'worker', '--hostname', 'gpu-probe@%h', '--label', 'probe', '--concurrency', '3'],
      dir: stack.info.run_dir,
      env: { ...workerEnv(stack.info.redis_url, stack.info.mongo_url, stack.info.gateway_url, stack.info.gateway_token), PATH: `${bin}:${process.env.PATH}` }
    });
    procs.push(proc);
    const row = await waitWorker('gpu-probe@');
    expect(row.labels).toEqual(['probe', 'gpu']);
    expect(row.concurrency).toBe(3);
    expect(row.active).toBe(0);
    expect(row.processed).toBe(0);
    expect(Date.now() - Date.parse(row.last_seen)).toBeLessThan(60000);
    expect(tailLog(proc.logFile, 50)).toMatch(/nvidia-smi lists a GPU: serving the gpu label too/);
    await proc.stop();
  });

  it('a map whose label no live worker serves is queued and answered with a warning', async () => {
    const res = await api.call<{ warnings: string[]; require: string; task_group: string }>('POST', '/api/jobs/where/map', { params: [1], require: 'tpu' });
    expect(res.status).toBe(201);
    expect(res.body.require).toBe('tpu');
    expect(res.body.warnings).toEqual([expect.stringMatching(/no live worker serves label 'tpu'.*nbgrid worker --label tpu/)]);
    expect((await api.status('where', res.body.task_group)).map((r) => r.status)).toEqual(['PENDING']);
    await api.call('POST', '/api/jobs/where/cancel', { task_group: res.body.task_group });
  });
});

describe('two worker hosts in network namespaces', () => {
  /** A Kernel Gateway listening on the host's own address inside its namespace. */
  async function startHostGateway(ns: string, address: string, dir: string): Promise<{ url: string; token: string }> {
    fs.mkdirSync(dir, { recursive: true });
    const token = `gw-${ns}-${Math.random().toString(16).slice(2)}`;
    const configFile = path.join(dir, 'kernelgateway_config.json');
    fs.writeFileSync(configFile, JSON.stringify({ KernelGatewayApp: { auth_token: token } }), { mode: 0o600 });
    const port = await freePort();
    const proc = spawnManaged({
      name: `kernelgateway-${ns}`,
      command: 'ip',
      args: [
        'netns', 'exec', ns, venvBin('jupyter'), 'kernelgateway', `--KernelGatewayApp.ip=${address}`, `--KernelGatewayApp.port=${port}`,
        `--config=${configFile}`, '--KernelGatewayApp.log_level=WARN'
      ],
      dir,
      env: { ...kernelSafeEnv(), JUPYTER_RUNTIME_DIR: path.join(dir, 'jupyter-runtime') }
    });
    procs.push(proc);
    const url = `http://${address}:${port}`;
    await waitFor(`gateway in ${ns}`, async () => (await fetch(`${url}/api/kernelspecs`, { headers: { Authorization: `token ${token}` } })).ok, {
      timeoutMs: 60000,
      intervalMs: 300,
      isAlive: proc.isAlive
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${tailLog(proc.logFile)}`);
    });
    return { url, token };
  }

  it("runs require='gpu' only on the gpu host and unlabelled maps only on the default host", async () => {
    const mongoPort = new URL(stack.info.mongo_url).port;
    const redis = new URL(stack.info.redis_url); // keeps the stack's Redis password
    redis.hostname = net.mainAddress;
    const redisUrl = redis.toString();
    const mongoUrl = `mongodb://${net.mainAddress}:${mongoPort}/`;
    for (const [name, label] of [['default-host', 'default'], ['gpu-host', 'gpu']]) {
      const host = net.addHost();
      const gw = await startHostGateway(host.ns, host.address, path.join(home, name));
      procs.push(
        spawnManaged({
          name,
          command: 'ip',
          args: ['netns', 'exec', host.ns, process.execPath, nbgridCli, 'worker', '--hostname', `${name}@%h`, '--label', label, '--no-gpu-detect'],
          dir: path.join(home, name),
          env: workerEnv(redisUrl, mongoUrl, gw.url, gw.token)
        })
      );
    }
    expect((await waitWorker('default-host@')).labels).toEqual(['default']);
    expect((await waitWorker('gpu-host@')).labels).toEqual(['gpu']);

    const gpu = await api.map('where', { params: [0, 1, 2, 3], require: 'gpu' });
    expect(gpu.warnings).toEqual([]);
    const plain = await api.map('where', { params: [0, 1, 2, 3] });
    expect(plain.warnings).toEqual([]);
    for (const [m, host] of [[gpu, 'gpu-host@'], [plain, 'default-host@']] as const) {
      await api.waitDone('where', m.task_group, 90000);
      const tasks = (await api.call<{ tasks: { run_status: string; job_runs: { worker: string; status: string }[] }[] }>(
        'GET', `/api/jobs/where/tasks?task_group=${m.task_group}`)).body.tasks;
      expect(tasks.map((t) => t.run_status)).toEqual(['OK', 'OK', 'OK', 'OK']);
      const runWorkers = tasks.flatMap((t) => t.job_runs.map((r) => r.worker));
      expect(runWorkers).toHaveLength(4);
      expect(runWorkers.every((w) => w.startsWith(host))).toBe(true);
    }
    // Heartbeats count what each host did.
    await waitFor('processed counts', async () => {
      const ws = await workers();
      return ws.find((w) => w.hostname.startsWith('gpu-host@'))?.processed === 4 && ws.find((w) => w.hostname.startsWith('default-host@'))?.processed === 4;
    }, { timeoutMs: 15000, intervalMs: 300 });
  });
});
