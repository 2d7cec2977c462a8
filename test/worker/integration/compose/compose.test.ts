/**
 * The compose modules in one process, on a real Redis, FerretDB and Kernel Gateway: the API
 * service and a worker node built by `composeApiService` / `composeWorkerNode` (what `nbgrid serve`
 * and `nbgrid worker` run) map a notebook end to end and close cleanly; and the CLI refuses a bad
 * environment or flag at start with a message that names it (worker/dist must be built).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { composeApiService, composeWorkerNode, type IApiService, type IWorkerNode } from '../../../../worker/src/compose';
import { ConfigError, loadConfig, type INbgridConfig } from '../../../../worker/src/config';
import { startServer, type IRunningServer } from '../../../../worker/src/service';
import { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { startTestRedis, type ITestRedis } from '../celery/support/redis-server';
import { startTestGateway, type ITestGateway } from '../executor/gateway';
import { startFerretDb } from '../storage/ferretdb';

jest.setTimeout(120000);

const REPO = path.resolve(__dirname, '../../../..');
const TOKEN = 'compose-test-token-0123456789';
const quiet = (): void => undefined;

let redis: ITestRedis;
let mongo: { url: string; stop(): Promise<void> };
let gateway: ITestGateway;
let config: INbgridConfig;
let service: IApiService;
let server: IRunningServer;
let node: IWorkerNode;
let api: TestApi;

beforeAll(async () => {
  [redis, mongo, gateway] = await Promise.all([startTestRedis(), startFerretDb(), startTestGateway()]);
  config = loadConfig({
    NBGRID_REDIS_URL: redis.url,
    NBGRID_MONGO_URL: mongo.url,
    NBGRID_DB: 'compose_test',
    NBGRID_TOKEN: TOKEN,
    NBGRID_GATEWAY_URL: gateway.url,
    NBGRID_GATEWAY_TOKEN: gateway.token,
    NBGRID_LOG_LEVEL: 'silent',
    NBGRID_VISIBILITY_TIMEOUT: '60'
  });
  service = await composeApiService(config, { log: quiet });
  server = await startServer({ app: service.app, port: 0, signals: [] });
  api = new TestApi({ api_url: server.url, token: TOKEN });
  node = await composeWorkerNode(config, { hostname: 'compose@test', concurrency: 2, poolSize: 1, log: quiet });
}, 180000);

afterAll(async () => {
  await node?.close();
  await service?.close();
  await Promise.all([redis?.stop(), mongo?.stop(), gateway?.stop()]);
});

describe('composeApiService and composeWorkerNode', () => {
  it('wire a service and a worker that map a notebook end to end', async () => {
    expect(node.settings).toEqual({ labels: ['default'], concurrency: 2, hostname: 'compose@test', poolSize: 1, prefetch: 1, kernelReuse: 'off' });
    const health = await api.call<{ mongo: string; redis: string }>('GET', '/api/health');
    expect([health.status, health.body.mongo, health.body.redis]).toEqual([200, 'ok', 'ok']);
    await api.put('compose', notebook([PARAM_CELL, "job['result'] = job['param'] * 2"]));
    const m = await api.map('compose', { params: [1, 2, 3] });
    const rows = await api.waitDone('compose', m.task_group);
    expect(rows.map((r) => [r.status, r.run_status, r.worker])).toEqual([1, 2, 3].map(() => ['SUCCESS', 'OK', 'compose@test']));
    const results = await api.call<{ results: unknown[] }>('GET', `/api/jobs/compose/results?task_group=${m.task_group}`);
    expect(results.body.results).toEqual([2, 4, 6]);
    const workers = await api.call<{ workers: { hostname: string; labels: string[] }[] }>('GET', '/api/workers');
    expect(workers.body.workers.map((w) => [w.hostname, w.labels])).toEqual([['compose@test', ['default']]]);
  });

  it('refuses to build a service without a token', async () => {
    await expect(composeApiService({ ...config, token: '' })).rejects.toThrow(ConfigError);
    await expect(composeApiService({ ...config, token: '' })).rejects.toThrow('NBGRID_TOKEN is not set');
  });

  it('refuses worker options that do not fit before connecting to anything', async () => {
    await expect(composeWorkerNode(config, { poolSize: 0, kernelReuse: 'all' })).rejects.toThrow('--kernel-reuse needs a kernel pool');
  });

  it('close() is idempotent: a second call returns the same promise', async () => {
    const other = await composeWorkerNode(config, { hostname: 'compose-close@test', poolSize: 0, log: quiet });
    const first = other.close();
    expect(other.close()).toBe(first);
    await first;
    expect(other.kernelPool.pools('python3')).toBe(false);
  });
});

describe('the CLI checks the environment and its flags at start', () => {
  const cli = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [path.join(REPO, 'worker/bin/nbgrid.js'), ...args], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 30000
    });

  it('nbgrid serve with NBGRID_PORT=abc stops with a message naming the variable and what it allows', () => {
    const run = cli(['serve'], { NBGRID_PORT: 'abc', NBGRID_TOKEN: 't' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('nbgrid: invalid environment:\n  NBGRID_PORT="abc" is not allowed: it must be an integer from 0 to 65535.');
    expect(run.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  it('nbgrid worker with NBGRID_KERNEL_REUSE=yes stops the same way', () => {
    const run = cli(['worker'], { NBGRID_KERNEL_REUSE: 'yes' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('NBGRID_KERNEL_REUSE="yes" is not allowed: it must be one of off, opt-in, all.');
  });

  it('nbgrid serve without a token stops with the reason', () => {
    const run = cli(['serve'], { NBGRID_TOKEN: '' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('NBGRID_TOKEN is not set: the API refuses to run without a token');
  });

  it('an integer flag that is not one is refused by name', () => {
    const run = cli(['worker', '--pool-size', 'many'], {});
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("option '--pool-size <n>' argument 'many' is invalid. expected an integer of 0 or more");
  });
});
