/**
 * A map accepted while a clean-up runs never loses its notebook. Against a real FerretDB and
 * Redis, maps and clean-ups run at the same time for many rounds, while the notebook is put again
 * in one of two versions in turn (so older versions' blobs become unreferenced, get swept,
 * and are put again: the writers race the sweeper on the same content addresses; each sweep
 * pauses between marking and sweeping to widen that race). Every map that
 * was accepted must still render every task notebook afterwards, and the sweeper must really have
 * removed blobs during the run (else the test proves nothing).
 */
import { composeApiService, type IApiService } from '../../../../worker/src/compose';
import { loadConfig } from '../../../../worker/src/config';
import { startServer, type IRunningServer } from '../../../../worker/src/service';
import { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { startTestRedis, type ITestRedis } from '../celery/support/redis-server';
import { startFerretDb } from '../storage/ferretdb';

jest.setTimeout(240000);

const TOKEN = 'gc-race-token-0123456789';
const GRACE_MS = 1500;
const ROUNDS = 30;
const VERSIONS = 2;
const KEPT_ROUNDS = 3;

let redis: ITestRedis;
let mongo: { url: string; stop(): Promise<void> };
let service: IApiService;
let server: IRunningServer;
let api: TestApi;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** What each sweep does between marking and sweeping: wait, or (one test) race it on purpose. */
let inWindow: () => Promise<void> = () => sleep(400).then(() => undefined);
const version = (v: number) => notebook([PARAM_CELL, `# version ${v}\njob['result'] = job['param'] + ${v}`]);

beforeAll(async () => {
  [redis, mongo] = await Promise.all([startTestRedis(), startFerretDb()]);
  const config = loadConfig({ NBGRID_REDIS_URL: redis.url, NBGRID_MONGO_URL: mongo.url, NBGRID_DB: 'gc_race', NBGRID_TOKEN: TOKEN, NBGRID_LOG_LEVEL: 'silent' });
  // Each sweep waits between reading the references and deleting, so puts and maps land in that
  // window: only the writers' refresh of a blob (storage/blob-store.ts, task-groups.ts) keeps it.
  service = await composeApiService(config, {
    log: () => undefined,
    scheduling: { loopsOff: true, blobGraceMs: GRACE_MS, blobSweepAfterMark: () => inWindow() }
  });
  server = await startServer({ app: service.app, port: 0, signals: [] });
  api = new TestApi({ api_url: server.url, token: TOKEN });
}, 120000);

afterAll(async () => {
  await server?.close();
  await service?.close();
  await Promise.all([redis?.stop(), mongo?.stop()]);
});

it('keeps the notebook of every map accepted during clean-ups', async () => {
  const accepted: { group: string; version: number }[] = [];
  const kept: string[] = [];
  const refused: string[] = [];
  let swept = 0;
  let cleaning = true;
  // Clean-ups back to back for the whole run: cancelled groups go, then unreferenced blobs.
  const cleaner = (async () => {
    while (cleaning) {
      const res = await api.call<{ blobs: number }>('POST', '/api/gc', { job: 'race', states: ['REVOKED'] });
      expect(res.status).toBe(200);
      swept += res.body.blobs;
    }
  })();
  for (let round = 0; round < ROUNDS; round++) {
    // The notebook put last round still opens: a put racing a sweep kept its blob.
    if (round > 0) expect((await api.call<{ message?: string }>('GET', '/api/notebooks/race')).body.message).toBeUndefined();
    const v = round % VERSIONS;
    await api.put('race', version(v));
    const maps = await Promise.all(
      [0, 1].map(async (k) => {
        const res = await api.call<{ task_group: string; message?: string }>('POST', '/api/jobs/race/map', { params: [round, k] });
        if (res.status === 201) return res.body.task_group;
        refused.push(`${res.status} ${res.body.message}`);
        return null;
      })
    );
    for (const g of maps) if (g) accepted.push({ group: g, version: v });
    // The maps are cancelled, so the cleaner deletes them and the version's blob loses its
    // references when the next round puts the other version; it is old enough to be swept, and
    // the round after puts it again. The last rounds' maps are kept and checked.
    const keep = round >= ROUNDS - KEPT_ROUNDS;
    for (const g of maps) if (g && !(keep && g === maps[1])) await api.call('POST', '/api/jobs/race/cancel', { task_group: g });
    if (keep && maps[1]) kept.push(maps[1]);
    await sleep(100 + (round % 4) * 100);
  }
  await sleep(GRACE_MS + 500);
  cleaning = false;
  await cleaner;
  const left = (await api.call<{ groups: { task_group: string }[] }>('GET', '/api/jobs/race/groups')).body.groups.map((g) => g.task_group);
  expect(left.sort()).toEqual([...kept].sort());
  expect(kept.length).toBeGreaterThanOrEqual(KEPT_ROUNDS - 1);
  for (const { group, version: v } of accepted.filter((a) => kept.includes(a.group))) {
    for (const i of [0, 1]) {
      const res = await api.call<{ content: { cells: { source: string }[] }; message?: string }>('GET', `/api/notebooks/tasks/race/${group}-${i}.ipynb`);
      expect([group, res.status, res.body.message]).toEqual([group, 200, undefined]);
      expect(res.body.content.cells.map((c) => c.source).join('\n')).toContain(`# version ${v}`);
    }
  }
  expect((await api.call('GET', '/api/notebooks/race')).status).toBe(200);
  expect(swept).toBeGreaterThan(0);
  // A map is refused only with a message saying to put the notebook again, never lost.
  for (const r of refused) expect(r).toContain('put the notebook again');
});

it('keeps a blob put and mapped again exactly between the marking and the sweeping', async () => {
  const A = notebook([PARAM_CELL, '# exactly between']);
  await api.put('window', A);
  const first = await api.map('window', { params: [1] });
  await api.call('POST', '/api/jobs/window/cancel', { task_group: first.task_group });
  await api.put('window', notebook([PARAM_CELL, '# another version']));
  await sleep(GRACE_MS + 300); // A's blob is old and, once the cancelled group goes, unreferenced
  let raced: string | null = null;
  inWindow = async () => {
    inWindow = async () => undefined;
    await api.put('window', A);
    raced = (await api.map('window', { params: [2] })).task_group;
  };
  const report = await api.call<{ groups: { task_group: string }[]; blobs: number }>('POST', '/api/gc', { job: 'window', states: ['REVOKED'] });
  expect(report.body.groups.map((g) => g.task_group)).toEqual([first.task_group]);
  expect(raced).not.toBeNull();
  expect(report.body.blobs).toBe(0);
  const rendered = await api.call<{ content: { cells: { source: string }[] }; message?: string }>('GET', `/api/notebooks/tasks/window/${String(raced)}-0.ipynb`);
  expect([rendered.status, rendered.body.message]).toEqual([200, undefined]);
  expect(rendered.body.content.cells.map((c) => c.source).join('\n')).toContain('# exactly between');
  expect((await api.call('GET', '/api/notebooks/window')).status).toBe(200);
});
