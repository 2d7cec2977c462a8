/**
 * A schedule that fires every minute, in real time, on the real stack (Redis, FerretDB, a Kernel
 * Gateway, a worker) with two API services on the same MongoDB and Redis, one of them with a
 * clock 3 s behind: two occurrences make exactly two maps, one each, and both run to SUCCESS.
 * Takes up to about two minutes (the next two minute boundaries).
 */
import { composeApiService, composeWorkerNode, type IApiService, type IWorkerNode } from '../../../../worker/src/compose';
import { loadConfig } from '../../../../worker/src/config';
import { startServer, type IRunningServer } from '../../../../worker/src/service';
import { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { startTestRedis, type ITestRedis } from '../celery/support/redis-server';
import { startTestGateway, type ITestGateway } from '../executor/gateway';
import { startFerretDb } from '../storage/ferretdb';

jest.setTimeout(300000);

const TOKEN = 'schedule-realtime-token-0123456789';
const quiet = (): void => undefined;

let redis: ITestRedis;
let mongo: { url: string; stop(): Promise<void> };
let gateway: ITestGateway;
let services: IApiService[] = [];
let server: IRunningServer;
let node: IWorkerNode;
let api: TestApi;

beforeAll(async () => {
  [redis, mongo, gateway] = await Promise.all([startTestRedis(), startFerretDb(), startTestGateway()]);
  const config = loadConfig({
    NBGRID_REDIS_URL: redis.url,
    NBGRID_MONGO_URL: mongo.url,
    NBGRID_DB: 'schedule_realtime',
    NBGRID_TOKEN: TOKEN,
    NBGRID_GATEWAY_URL: gateway.url,
    NBGRID_GATEWAY_TOKEN: gateway.token,
    NBGRID_LOG_LEVEL: 'silent'
  });
  services = [
    await composeApiService(config, { log: quiet, scheduling: { tickMs: 1000, instance: 'a' } }),
    await composeApiService(config, { log: quiet, scheduling: { tickMs: 1000, instance: 'b', now: () => Date.now() - 3000 } })
  ];
  server = await startServer({ app: services[0].app, port: 0, signals: [] });
  api = new TestApi({ api_url: server.url, token: TOKEN });
  node = await composeWorkerNode(config, { hostname: 'schedule@test', concurrency: 2, poolSize: 1, log: quiet });
}, 180000);

afterAll(async () => {
  await node?.close();
  await server?.close();
  for (const s of services) await s.close();
  await Promise.all([redis?.stop(), mongo?.stop(), gateway?.stop()]);
});

interface IRun {
  occurrence: string;
  task_group: string;
  state: string;
}

it('fires every minute: two occurrences, one map each, across two services', async () => {
  await api.put('minutely', notebook([PARAM_CELL, "job['result'] = job['param'] * 2"]));
  const created = await api.call<{ id: string; next_run: string }>('POST', '/api/schedules', { job: 'minutely', cron: '* * * * *', map: { params: [1, 2] } });
  expect(created.status).toBe(201);
  const id = created.body.id;
  let runs: IRun[] = [];
  const deadline = Date.now() + 200_000;
  while (runs.filter((r) => r.state === 'submitted').length < 2) {
    if (Date.now() > deadline) throw new Error(`two occurrences not submitted in time: ${JSON.stringify(runs)}`);
    await new Promise((r) => setTimeout(r, 1000));
    runs = (await api.call<{ runs: IRun[] }>('GET', `/api/schedules/${id}`)).body.runs;
  }
  await api.call('POST', `/api/schedules/${id}/pause`);
  runs = (await api.call<{ runs: IRun[] }>('GET', `/api/schedules/${id}`)).body.runs;
  const submitted = runs.filter((r) => r.state === 'submitted');
  // Every claim is a distinct whole minute, and nothing else was claimed.
  expect(runs.map((r) => r.state)).toEqual(submitted.map(() => 'submitted'));
  for (const r of submitted) expect(r.occurrence).toMatch(/T\d\d:\d\d:00\.000Z$/);
  expect(new Set(submitted.map((r) => r.occurrence)).size).toBe(submitted.length);
  const groups = (await api.call<{ groups: { task_group: string; schedule?: string; occurrence?: string }[] }>('GET', '/api/jobs/minutely/groups')).body.groups;
  // One group per occurrence, and one occurrence per group.
  expect(groups.map((g) => [g.task_group, g.occurrence]).sort()).toEqual(submitted.map((r) => [r.task_group, r.occurrence]).sort());
  expect(groups.every((g) => g.schedule === id)).toBe(true);
  for (const g of groups) {
    const rows = await api.waitDone('minutely', g.task_group);
    expect(rows.map((r) => [r.status, r.run_status])).toEqual([['SUCCESS', 'OK'], ['SUCCESS', 'OK']]);
  }
});
