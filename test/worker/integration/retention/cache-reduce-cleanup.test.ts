/**
 * Clean-up meets the cache of OK runs and the reduce step, on the real stack (Redis, FerretDB,
 * Kernel Gateway, a worker; the same set-up as cleanup.test.ts):
 *
 * - deleting a group forgets the cache entries whose run was one of its tasks (MongoDB and the
 *   Redis index), so a later `map(cache=True)` runs those inputs for real;
 * - a group whose cached tasks reuse the deleted group's result notebooks keeps them (documents
 *   and blobs, past the blob grace period); they go with the last group that reuses them;
 * - deleting a group with a reduce step deletes its spec, its rounds and the reduce's one-task
 *   group, and the reduce reconciler does not make a round for it again.
 */
import { MongoClient, type Db } from 'mongodb';
import Redis from 'ioredis';
import { composeApiService, composeWorkerNode, type IApiService, type IWorkerNode } from '../../../../worker/src/compose';
import { loadConfig, type INbgridConfig } from '../../../../worker/src/config';
import type { IQueueInspector } from '../../../../worker/src/domain/queue-inspector';
import { reconcileReduce } from '../../../../worker/src/reduce/reduce-reconciler';
import { ReduceTrigger } from '../../../../worker/src/reduce/reduce-trigger';
import { startServer, type IRunningServer } from '../../../../worker/src/service';
import { NbgridStore } from '../../../../worker/src/storage';
import { Collections } from '../../../../worker/src/storage/collections';
import { isActiveState } from '../../../../worker/src/domain/queue-states';
import { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { startTestRedis, type ITestRedis } from '../celery/support/redis-server';
import { startTestGateway, type ITestGateway } from '../executor/gateway';
import { rowsOf, summaryNotebook, until, waitReduced } from '../reduce/support';
import { startFerretDb } from '../storage/ferretdb';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

jest.setTimeout(240000);

const TOKEN = 'retention-join-test-token-0123456789';
const DB = 'retention_join_test';
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
let store: NbgridStore;
let rawRedis: Redis;
let home: string;

interface IReport {
  groups: { task_group: string; job: string; tasks: number }[];
  skipped: { task_group: string; reason: string }[];
  blobs: number;
  message?: string;
}

const gc = (body: Record<string, unknown>) => api.call<IReport>('POST', '/api/gc', body);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a result notebook; returns its status and content text. */
async function open(results: string): Promise<{ status: number; text: string }> {
  const res = await api.call<{ content: unknown }>('GET', `/api/notebooks/${results}`);
  return { status: res.status, text: JSON.stringify(res.body.content ?? null) };
}

/** The sources of the cache entries of a job: MongoDB's, and the Redis index's. */
async function cacheSources(job: string): Promise<{ mongo: string[]; index: string[] }> {
  const docs = await db.collection<{ _id: string; task: string }>(Collections.taskCache).find({ job }).toArray();
  const hash = await rawRedis.hgetall(`nbgrid:cache:${job}`);
  const index = Object.entries(hash)
    .filter(([k]) => k !== '_built')
    .map(([, v]) => (JSON.parse(v) as { t: string }).t);
  return { mongo: docs.map((d) => d.task).sort(), index: index.sort() };
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-gcjoin-'));
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
  node = await composeWorkerNode(config, { hostname: 'retention-join@test', concurrency: 2, poolSize: 1, log: quiet });
  client = await MongoClient.connect(mongo.url);
  db = client.db(DB);
  store = await NbgridStore.open(mongo.url, { dbName: DB });
  rawRedis = new Redis(redis.url);
}, 180000);

afterAll(async () => {
  rawRedis?.disconnect();
  await store?.close();
  await client?.close();
  await node?.close();
  await server?.close();
  await service?.close();
  await Promise.all([redis?.stop(), mongo?.stop(), gateway?.stop()]);
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

describe('clean-up and the cache', () => {
  it('keeps the result notebooks a surviving cached group reuses, forgets the deleted runs, and a later cached map runs for real', async () => {
    await api.put('cj', notebook([PARAM_CELL, "import random\nprint('cj-output-' + str(job['param']))\njob['result'] = {'p': job['param'], 'n': random.random()}"]));
    const a = await api.map('cj', { params: [1, 2], cache: true });
    const aRows = await api.waitDone('cj', a.task_group);
    expect(aRows.map((r) => r.run_status)).toEqual(['OK', 'OK']);
    await service.jobs.settled();
    const aNames = aRows.map((r) => r.name);
    expect((await cacheSources('cj')).mongo).toEqual([...aNames].sort());

    const b = await api.map('cj', { params: [1, 2], cache: true });
    expect(b.cached).toBe(2);
    const bRows = await api.waitDone('cj', b.task_group);
    expect(bRows.map((r) => r.cached_from)).toEqual(aNames);
    expect(bRows.map((r) => r.results)).toEqual(aRows.map((r) => r.results));
    const bResults = (await api.call<{ results: unknown[] }>('GET', `/api/jobs/cj/results?task_group=${b.task_group}`)).body.results;
    // the index is built by the lookup of b: it must lose a's entries too
    expect((await cacheSources('cj')).index).toEqual([...aNames].sort());

    await sleep(GRACE_MS + 200); // the result notebooks' blobs are past the grace period
    const dry = await gc({ task_group: a.task_group, dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.body.blobs).toBe(0); // b still reuses a's two result notebooks
    const gone = await gc({ task_group: a.task_group });
    expect(gone.status).toBe(200);
    expect(gone.body.groups.map((g) => g.task_group)).toEqual([a.task_group]);
    expect(gone.body.blobs).toBe(0);
    expect(await cacheSources('cj')).toEqual({ mongo: [], index: [] });

    // b is intact: rows, returned values, result notebooks
    expect((await api.call('GET', `/api/jobs/cj/status?task_group=${a.task_group}`)).status).toBe(404);
    const bAfter = await api.waitDone('cj', b.task_group);
    expect(bAfter.map((r) => r.results)).toEqual(bRows.map((r) => r.results));
    expect((await api.call<{ results: unknown[] }>('GET', `/api/jobs/cj/results?task_group=${b.task_group}`)).body.results).toEqual(bResults);
    for (const [i, row] of bAfter.entries()) {
      const nb = await open(row.results as string);
      expect(nb.status).toBe(200);
      expect(nb.text).toContain(`cj-output-${i + 1}`);
    }

    // a cached map now runs both inputs for real (b's tasks were cached, so they are no source)
    const c = await api.map('cj', { params: [1, 2], cache: true });
    expect(c.cached ?? 0).toBe(0);
    const cRows = await api.waitDone('cj', c.task_group);
    expect(cRows.map((r) => [r.status, r.run_status, r.cached_from, r.worker === 'cache'])).toEqual([
      ['SUCCESS', 'OK', undefined, false],
      ['SUCCESS', 'OK', undefined, false]
    ]);
    for (const [i, row] of cRows.entries()) {
      expect(row.results).not.toBe(aRows[i].results);
      const nb = await open(row.results as string);
      expect(nb.status).toBe(200);
      expect(nb.text).toContain(`cj-output-${i + 1}`);
    }
    const cResults = (await api.call<{ results: { p: number; n: number }[] }>('GET', `/api/jobs/cj/results?task_group=${c.task_group}`)).body.results;
    expect(cResults.map((r) => r.p)).toEqual([1, 2]);
    expect(cResults.map((r) => r.n)).not.toEqual((bResults as { n: number }[]).map((r) => r.n));
    await service.jobs.settled();
    expect((await cacheSources('cj')).mongo).toEqual(cRows.map((r) => r.name).sort());

    // deleting b, the last group that reused a's result notebooks, removes them and their blobs
    const kept = await db.collection(Collections.results).countDocuments({ task_group: a.task_group });
    expect(kept).toBe(2);
    const last = await gc({ task_group: b.task_group });
    expect(last.status).toBe(200);
    expect(last.body.blobs).toBe(2);
    expect(await db.collection(Collections.results).countDocuments({ task_group: a.task_group })).toBe(0);
    expect((await open(aRows[0].results as string)).status).toBe(404);
    // c is untouched
    expect((await open(cRows[0].results as string)).status).toBe(200);
  });
});

describe('clean-up and the reduce step', () => {
  it('deletes the spec, the rounds and the reduce group; the reconciler does not make the round again', async () => {
    const runLog = path.join(home, 'reduce-runs.log');
    await api.put('sq', notebook([PARAM_CELL, "job['result'] = job['param'] ** 2"]));
    await api.put('summary', summaryNotebook(runLog));
    const m = await api.map('sq', { params: [1, 2, 3], then: { notebook: 'summary' } });
    const reduce = await waitReduced(api, 'sq', m.task_group);
    expect(reduce.run_status).toBe('OK');
    await service.jobs.settled();
    const rounds = await store.reduce.rounds(m.task_group);
    expect(rounds).toHaveLength(1);
    const reduceGroup = rounds[0].reduce_group as string;
    expect(await store.reduce.spec(m.task_group)).not.toBeNull();

    const dry = await gc({ task_group: m.task_group, dry_run: true });
    expect(dry.body.groups.map((g) => g.task_group)).toEqual([m.task_group, reduceGroup]);
    expect(await store.reduce.spec(m.task_group)).not.toBeNull();

    const gone = await gc({ task_group: m.task_group });
    expect(gone.status).toBe(200);
    expect(gone.body.groups.map((g) => [g.task_group, g.job])).toEqual([
      [m.task_group, 'sq'],
      [reduceGroup, 'summary']
    ]);
    expect(await store.reduce.spec(m.task_group)).toBeNull();
    expect(await db.collection(Collections.reduceRounds).countDocuments({})).toBe(0);
    expect(await db.collection(Collections.taskGroups).countDocuments({ _id: { $in: [m.task_group, reduceGroup] } })).toBe(0);
    expect(await db.collection(Collections.tasks).countDocuments({ task_group: { $in: [m.task_group, reduceGroup] } })).toBe(0);
    expect(await db.collection(Collections.results).countDocuments({ task_group: { $in: [m.task_group, reduceGroup] } })).toBe(0);
    expect((await api.call('GET', `/api/notebooks/${reduce.results as string}`)).status).toBe(404);

    // a reconciler pass (and a late worker hook) find nothing to reduce
    const published: unknown[] = [];
    const trigger = new ReduceTrigger({
      reduce: store.reduce,
      tasks: store.tasks,
      notebooks: store.notebooks,
      publisher: { publishMany: async (msgs) => void published.push(...msgs) }
    });
    const queue: IQueueInspector = { liveMessageIds: async () => new Set(), finalResults: async () => new Map() };
    const pass = await reconcileReduce({ trigger, reduce: store.reduce, queue, getTask: (n) => store.runs.get(n), recheckMs: 10 });
    expect(pass).toEqual({ claimed: [], republished: [] });
    expect(await trigger.onTaskFinal(m.task_group)).toBeNull();
    expect(published).toEqual([]);
    expect(await db.collection(Collections.reduceRounds).countDocuments({})).toBe(0);
    const summaryGroups = await api.call<{ groups: unknown[] }>('GET', '/api/jobs/summary/groups');
    expect(summaryGroups.body.groups).toEqual([]);
  });

  it('deletes a group whose reduce is still running, and reports the reduce group as skipped, with why', async () => {
    await api.put('slowsum', notebook([{ source: "job = globals().get('job', {})", tags: ['parameters'] }, "import time\ntime.sleep(8)\njob['result'] = sum(job['results'])"]));
    const m = await api.map('sq', { params: [5, 6], then: { notebook: 'slowsum' } });
    const running = await until('the running reduce', () => rowsOf(api, 'sq', m.task_group), (r) => r.reduce !== undefined && isActiveState(r.reduce.status));
    const reduceGroup = (await store.reduce.rounds(m.task_group))[0].reduce_group as string;
    expect(running.reduce?.name).toBe(`tasks/slowsum/${reduceGroup}-0`);
    const report = await gc({ task_group: m.task_group });
    expect(report.status).toBe(200);
    expect(report.body.groups.map((g) => g.task_group)).toEqual([m.task_group]);
    expect(report.body.skipped.map((g) => g.task_group)).toEqual([reduceGroup]);
    expect(report.body.skipped[0].reason).toContain(`the reduce of deleted group ${m.task_group}`);
    expect(report.body.skipped[0].reason).toContain('cancel the group first');
    expect(await store.reduce.spec(m.task_group)).toBeNull();
    // the reduce finishes in its own group, which a later clean-up deletes like any other
    const rows = await api.waitDone('slowsum', reduceGroup, 120000);
    expect(rows.map((r) => r.run_status)).toEqual(['OK']);
    const later = await gc({ job: 'slowsum' });
    expect(later.body.groups.map((g) => g.task_group)).toEqual([reduceGroup]);
    expect(await db.collection(Collections.reduceRounds).countDocuments({})).toBe(0);
  });

  it('deletes the spec and any round of a cancelled group (whose round makes no reduce group)', async () => {
    const m = await api.map('sq', { params: [4], then: { notebook: 'summary' }, require: 'nobody-serves-this' });
    // the group's one task never runs: cancel it, then its round is skipped (cancelled) and makes no reduce group
    await api.call('POST', '/api/jobs/sq/cancel', { task_group: m.task_group });
    await api.waitDone('sq', m.task_group);
    const gone = await gc({ task_group: m.task_group });
    expect(gone.status).toBe(200);
    expect(gone.body.groups.map((g) => g.task_group)).toEqual([m.task_group]);
    expect(await store.reduce.spec(m.task_group)).toBeNull();
    expect(await store.reduce.rounds(m.task_group)).toEqual([]);
  });
});
