/**
 * Clean-up on the real stack (Redis, FerretDB, Kernel Gateway, a worker): three maps of one
 * notebook, two deleted: the bytes stored in MongoDB drop by exactly what those two held (their
 * group, task and result documents and the result notebook blobs nobody else references), and the
 * third still renders, restarts and opens. A group with queued tasks is refused until cancelled;
 * a dry run removes nothing; selection by state and age; expired revoke entries go.
 */
import { BSON, MongoClient, type Db } from 'mongodb';
import { composeApiService, composeWorkerNode, type IApiService, type IWorkerNode } from '../../../../worker/src/compose';
import { loadConfig, type INbgridConfig } from '../../../../worker/src/config';
import { CeleryKeys } from '../../../../worker/src/celery';
import { startServer, type IRunningServer } from '../../../../worker/src/service';
import { Collections } from '../../../../worker/src/storage/collections';
import { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { startTestRedis, type ITestRedis } from '../celery/support/redis-server';
import { startTestGateway, type ITestGateway } from '../executor/gateway';
import { startFerretDb } from '../storage/ferretdb';
import Redis from 'ioredis';
import { execFile } from 'node:child_process';
import * as path from 'node:path';

jest.setTimeout(180000);

const TOKEN = 'retention-test-token-0123456789';
const DB = 'retention_test';
const GRACE_MS = 1000;
const quiet = (): void => undefined;

let redis: ITestRedis;
let mongo: { url: string; stop(): Promise<void> };
let gateway: ITestGateway;
let config: INbgridConfig;
let service: IApiService;
let server: IRunningServer;
let node: IWorkerNode;
let api: TestApi;
let client: MongoClient;
let db: Db;

interface IReport {
  dry_run: boolean;
  groups: { task_group: string; tasks: number; results: number; bytes: number }[];
  skipped: { task_group: string; reason: string }[];
  tasks: number;
  results: number;
  bytes: number;
  blobs: number;
  blob_bytes: number;
  revoked: number;
}

/** Bytes of every document of the database (BSON sizes), by collection. */
async function storedBytes(): Promise<number> {
  let total = 0;
  for (const c of await db.listCollections().toArray()) {
    for await (const d of db.collection(c.name).find({})) total += BSON.calculateObjectSize(d);
  }
  return total;
}

/** Bytes that only the given groups hold: their documents, their runs' cache entries and the blobs of their result notebooks. */
async function heldBy(groups: string[]): Promise<number> {
  let total = 0;
  const count = async (collection: string, filter: Record<string, unknown>) => {
    const docs = await db.collection(collection).find(filter).toArray();
    for (const d of docs) total += BSON.calculateObjectSize(d);
    return docs;
  };
  await count(Collections.taskGroups, { _id: { $in: groups } });
  await count(Collections.tasks, { task_group: { $in: groups } });
  const results = await count(Collections.results, { task_group: { $in: groups } });
  const shas = [...new Set(results.map((r) => r.sha256 as string))];
  const elsewhere = await db.collection(Collections.results).countDocuments({ sha256: { $in: shas }, task_group: { $nin: groups } });
  expect(elsewhere).toBe(0);
  await count(Collections.blobs, { _id: { $in: shas } });
  // the cache entries of their OK runs (every OK run is one) go with them
  const ofGroups = new RegExp(`/(${groups.join('|')})-\\d+$`);
  for (const d of await db.collection(Collections.taskCache).find({}).toArray()) if (ofGroups.test(String(d.task))) total += BSON.calculateObjectSize(d);
  return total;
}

const gc = (body: Record<string, unknown>) => api.call<IReport & { message?: string }>('POST', '/api/gc', body);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  [redis, mongo, gateway] = await Promise.all([startTestRedis(), startFerretDb(), startTestGateway()]);
  config = loadConfig({
    NBGRID_REDIS_URL: redis.url,
    NBGRID_MONGO_URL: mongo.url,
    NBGRID_DB: DB,
    NBGRID_TOKEN: TOKEN,
    NBGRID_GATEWAY_URL: gateway.url,
    NBGRID_GATEWAY_TOKEN: gateway.token,
    NBGRID_LOG_LEVEL: 'silent'
  });
  service = await composeApiService(config, { log: quiet, scheduling: { loopsOff: true, blobGraceMs: GRACE_MS } });
  server = await startServer({ app: service.app, port: 0, signals: [] });
  api = new TestApi({ api_url: server.url, token: TOKEN });
  node = await composeWorkerNode(config, { hostname: 'retention@test', concurrency: 2, poolSize: 1, log: quiet });
  client = await MongoClient.connect(mongo.url);
  db = client.db(DB);
}, 180000);

afterAll(async () => {
  await client?.close();
  await node?.close();
  await server?.close();
  await service?.close();
  await Promise.all([redis?.stop(), mongo?.stop(), gateway?.stop()]);
});

describe('clean-up', () => {
  const groups: string[] = [];

  it('of two of three maps of one notebook frees what those two held; the third renders, restarts and opens', async () => {
    await api.put('keep', notebook([PARAM_CELL, "print('x' * 2000)\njob['result'] = job['param'] * 10"]));
    for (const params of [[1, 2], [3, 4], [5, 6]]) {
      const m = await api.map('keep', { params });
      groups.push(m.task_group);
      await api.waitDone('keep', m.task_group);
    }
    await service.jobs.settled();
    const [g1, g2, g3] = groups;
    const before = await storedBytes();

    const dry = await gc({ job: 'keep', task_group: g1, dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dry_run: true, tasks: 2, results: 2, groups: [{ task_group: g1, tasks: 2, results: 2 }] });
    expect(await storedBytes()).toBe(before);

    const held = await heldBy([g1, g2]);
    await sleep(GRACE_MS + 200); // the result notebooks' blobs are past the grace period
    const first = await gc({ job: 'keep', task_group: g1 });
    const second = await gc({ task_group: g2 });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body.groups.map((g) => g.task_group)).toEqual([g1]);
    expect(first.body.blobs + second.body.blobs).toBe(4); // four result notebooks, the main notebook stays
    expect(first.body.tasks + second.body.tasks).toBe(4);
    const after = await storedBytes();
    expect(before - after).toBe(held);

    const groupsLeft = await api.call<{ groups: { task_group: string }[] }>('GET', '/api/jobs/keep/groups');
    expect(groupsLeft.body.groups.map((g) => g.task_group)).toEqual([g3]);
    expect((await api.call('GET', `/api/jobs/keep/status?task_group=${g1}`)).status).toBe(404);
    const rendered = await api.call<{ content: { cells: { source: string }[] } }>('GET', `/api/notebooks/tasks/keep/${g3}-1.ipynb`);
    expect(rendered.status).toBe(200);
    expect(rendered.body.content.cells.map((c) => c.source).join('\n')).toContain('"param": 6');
    const restarted = await api.call('POST', '/api/jobs/keep/restart', { task_group: g3, reset: true });
    expect(restarted.status).toBe(200);
    const rows = await api.waitDone('keep', g3);
    expect(rows.map((r) => [r.status, r.run_status])).toEqual([['SUCCESS', 'OK'], ['SUCCESS', 'OK']]);
    const opened = await api.call<{ content: { cells: { outputs: { text?: string }[] }[] } }>('GET', `/api/notebooks/${rows[1].results as string}`);
    expect(opened.status).toBe(200);
    expect(JSON.stringify(opened.body.content)).toContain('x'.repeat(2000));
    const results = await api.call<{ results: number[] }>('GET', `/api/jobs/keep/results?task_group=${g3}`);
    expect(results.body.results).toEqual([50, 60]);
  });

  it('refuses a group with queued tasks until it is cancelled; a bulk clean-up skips it', async () => {
    const m = await api.map('keep', { params: [7], require: 'nobody-serves-this' });
    const refused = await gc({ task_group: m.task_group });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('cancel the group first');
    const bulk = await gc({ job: 'keep', older_than: '0s' });
    expect(bulk.body.skipped.map((s) => s.task_group)).toEqual([m.task_group]);
    expect(bulk.body.groups.map((g) => g.task_group)).toEqual([groups[2]]);
    await api.call('POST', '/api/jobs/keep/cancel', { task_group: m.task_group });
    const byState = await gc({ states: ['REVOKED'] });
    expect(byState.body.groups.map((g) => g.task_group)).toEqual([m.task_group]);
    expect((await api.call<{ groups: unknown[] }>('GET', '/api/jobs/keep/groups')).body.groups).toEqual([]);
  });

  it('asks which groups and names a bad age', async () => {
    expect((await gc({})).body.message).toContain('say which groups');
    expect((await gc({ older_than: '30 days' })).status).toBe(400);
    expect((await gc({ task_group: 'abcdef01' })).status).toBe(404);
  });

  it('removes revoke entries whose time is up, and keeps the others', async () => {
    const r = new Redis(redis.url);
    const key = new CeleryKeys().revoked;
    await r.zadd(key, Date.now() - 1000, 'gone-1', Date.now() - 500, 'gone-2', Date.now() + 3_600_000, 'still');
    const report = await gc({ job: 'keep', older_than: '1d' });
    expect(report.body.revoked).toBeGreaterThanOrEqual(2);
    expect(await r.zscore(key, 'still')).not.toBeNull();
    expect(await r.zscore(key, 'gone-1')).toBeNull();
    r.disconnect();
  });
});

describe('the CLI', () => {
  /** Runs `nbgrid ...` against this test's service (asynchronously: the service runs in this process). */
  const nbgrid = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.resolve(__dirname, '../../../../worker/bin/nbgrid.js'), ...args],
        { env: { ...process.env, NBGRID_URL: server.url, NBGRID_TOKEN: TOKEN }, timeout: 60000 },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
      );
    });

  it('creates, lists, pauses, runs and deletes schedules, and names a bad cron', async () => {
    const created = await nbgrid('schedule', 'create', 'keep', '0 2 * * *', '--params', '[1]', '--tz', 'Europe/Berlin', '--keep-last', '3');
    expect(created.stdout).toMatch(/^schedule [0-9a-f]{8}: keep at '0 2 \* \* \*' \(Europe\/Berlin\), next run 20\d\d-/);
    const id = /schedule ([0-9a-f]{8})/.exec(created.stdout)?.[1] as string;
    expect((await nbgrid('schedule', 'list')).stdout).toContain(id);
    expect((await nbgrid('schedule', 'pause', id)).stdout).toBe(`schedule ${id} paused\n`);
    const run = await nbgrid('schedule', 'run', id);
    expect(run.stdout).toMatch(/ manual submitted group [0-9a-f]{8}/);
    const group = /group ([0-9a-f]{8})/.exec(run.stdout)?.[1] as string;
    await api.waitDone('keep', group);
    expect((await nbgrid('schedule', 'show', id)).stdout).toContain(group);
    expect((await nbgrid('schedule', 'delete', id)).stdout).toBe(`schedule ${id} deleted\n`);
    const bad = await nbgrid('schedule', 'create', 'keep', '0 2 * *', '--params', '[1]');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('has 4 fields; give 5');

    const dry = await nbgrid('gc', '--older-than', '30d', '--dry-run');
    expect(dry.stdout).toMatch(/^would remove 0 groups, 0 tasks/);
    const deleted = await nbgrid('delete-group', 'keep', group);
    expect(deleted.stdout).toMatch(/^removed 1 groups, 1 tasks, 1 result notebooks, \d+ blobs, \d+ bytes/);
  });
});

describe('deleting a main notebook', () => {
  it('is refused while groups reference it; delete_groups deletes them (never a running one)', async () => {
    await api.put('owner', notebook([PARAM_CELL, "job['result'] = 1"]));
    const done = await api.map('owner', { params: [1] });
    await api.waitDone('owner', done.task_group);
    const refused = await api.call<{ message: string }>('DELETE', '/api/notebooks/owner');
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain("notebook 'owner' has task groups");
    const queued = await api.map('owner', { params: [2], require: 'nobody-serves-this' });
    const running = await api.call<{ message: string }>('DELETE', '/api/notebooks/owner?delete_groups=true');
    expect(running.status).toBe(400);
    expect(running.body.message).toContain(queued.task_group);
    expect((await api.call<{ groups: unknown[] }>('GET', '/api/jobs/owner/groups')).body.groups).toHaveLength(2);
    await api.call('POST', '/api/jobs/owner/cancel', { task_group: queued.task_group });
    expect((await api.call('DELETE', '/api/notebooks/owner?delete_groups=true')).status).toBe(204);
    expect((await api.call('GET', '/api/notebooks/owner')).status).toBe(404);
    expect((await api.call('GET', `/api/jobs/owner/status?task_group=${done.task_group}`)).status).toBe(404);
  });
});

describe('automatic retention', () => {
  it("keeps a schedule's keep_last newest groups, and deletes groups older than NBGRID_RETENTION_DAYS", async () => {
    await api.put('kept', notebook([PARAM_CELL, "job['result'] = job['param']"]));
    const s = await api.call<{ id: string }>('POST', '/api/schedules', { job: 'kept', cron: '@yearly', map: { params: [1] }, keep_last: 2, paused: true });
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await api.call<{ task_group: string; state: string }>('POST', `/api/schedules/${s.body.id}/run`);
      expect(run.body.state).toBe('submitted');
      made.push(run.body.task_group);
      await api.waitDone('kept', run.body.task_group);
    }
    const left = (await api.call<{ groups: { task_group: string }[] }>('GET', '/api/jobs/kept/groups')).body.groups.map((g) => g.task_group);
    expect(left).toEqual([made[2], made[1]]);

    // A service whose clock is two days ahead, with NBGRID_RETENTION_DAYS=1: every finished group is too old.
    const later = await composeApiService(
      loadConfig({ NBGRID_REDIS_URL: redis.url, NBGRID_MONGO_URL: mongo.url, NBGRID_DB: DB, NBGRID_TOKEN: TOKEN, NBGRID_LOG_LEVEL: 'silent', NBGRID_RETENTION_DAYS: '1' }),
      { log: quiet, scheduling: { loopsOff: true, now: () => Date.now() + 2 * 86_400_000 } }
    );
    try {
      const reports = await later.scheduling.retentionLoop.once();
      const deleted = reports.flatMap((r) => r.groups.map((g) => g.task_group));
      expect(deleted).toEqual(expect.arrayContaining(made.slice(1)));
      expect((await api.call<{ groups: unknown[] }>('GET', '/api/jobs/kept/groups')).body.groups).toEqual([]);
    } finally {
      await later.close();
    }
  });
});
