/**
 * Schedules against a real FerretDB and Redis with a fake clock: the honest way to test time
 * (occurrences days apart, a service down across several of them). The services' loops are off;
 * each test moves the clock and calls `tick()`. Maps are real maps through the REST route (no
 * worker: their tasks stay queued). Exactly once across two services on one MongoDB and Redis,
 * and the completion of a claim a stopped service left behind, are checked here too.
 */
import { composeApiService, type IApiService } from '../../../../worker/src/compose';
import { loadConfig, type INbgridConfig } from '../../../../worker/src/config';
import { startServer, type IRunningServer } from '../../../../worker/src/service';
import { Collections } from '../../../../worker/src/storage/collections';
import { occurrenceGroupId } from '../../../../worker/src/schedules/scheduler';
import { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { startTestRedis, type ITestRedis } from '../celery/support/redis-server';
import { startFerretDb } from '../storage/ferretdb';

jest.setTimeout(120000);

const TOKEN = 'schedule-clock-token-0123456789';
const quiet = (): void => undefined;

let redis: ITestRedis;
let mongo: { url: string; stop(): Promise<void> };
let config: INbgridConfig;
let clock = Date.parse('2026-03-01T01:59:50Z');
let a: IApiService;
let b: IApiService;
let server: IRunningServer;
let api: TestApi;

async function service(instance: string, offsetMs = 0): Promise<IApiService> {
  return composeApiService(config, { log: quiet, scheduling: { now: () => clock + offsetMs, loopsOff: true, instance, leaseMs: 60_000 } });
}

interface IGroup {
  task_group: string;
  schedule?: string;
  occurrence?: string;
}

async function groups(job: string): Promise<IGroup[]> {
  const res = await api.call<{ groups: IGroup[] }>('GET', `/api/jobs/${encodeURIComponent(job)}/groups`);
  return res.body.groups ?? [];
}

async function create(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  return api.call('POST', '/api/schedules', body);
}

beforeAll(async () => {
  [redis, mongo] = await Promise.all([startTestRedis(), startFerretDb()]);
  config = loadConfig({ NBGRID_REDIS_URL: redis.url, NBGRID_MONGO_URL: mongo.url, NBGRID_DB: 'schedule_clock', NBGRID_TOKEN: TOKEN, NBGRID_LOG_LEVEL: 'silent' });
  [a, b] = [await service('a'), await service('b', -3000)];
  // The API is b's, so a can stop and start again (its clock is 3 s behind a's).
  server = await startServer({ app: b.app, port: 0, signals: [] });
  api = new TestApi({ api_url: server.url, token: TOKEN });
  await api.put('nightly', notebook([PARAM_CELL, "job['result'] = job['param']"]));
}, 120000);

afterAll(async () => {
  await server?.close();
  await a?.close();
  await b?.close();
  await Promise.all([redis?.stop(), mongo?.stop()]);
});

describe('creating a schedule', () => {
  it.each([
    [{ cron: '0 2 * *' }, 'has 4 fields; give 5'],
    [{ cron: '61 2 * * *' }, 'is not a valid expression'],
    [{ cron: '@sometimes' }, 'unknown shorthand'],
    [{ tz: 'Mars/Olympus' }, 'not a known time zone'],
    [{ job: 'missing' }, "cannot schedule 'missing'"],
    [{ map: { params: [] } }, 'empty array'],
    [{ map: { params: [1], require: 'celery' } }, 'require'],
    [{ catchup: 'all' }, 'catchup']
  ])('refuses %j with a 400 naming the problem', async (change, message) => {
    const res = await create({ job: 'nightly', cron: '0 2 * * *', map: { params: [1] }, ...change });
    expect(res.status).toBe(400);
    expect(String(res.body.message)).toContain(message);
  });

  it('stores the map body as given and says when it runs next', async () => {
    const res = await create({ job: 'nightly', cron: '@daily', tz: 'Europe/Berlin', map: { params: [1.50, { a: [1] }], require: 'nightly' }, paused: true });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ cron: '@daily', tz: 'Europe/Berlin', map: { params: [1.5, { a: [1] }], require: 'nightly' }, paused: true, next_run: null, last_run: null });
    const resumed = await api.call<{ next_run: string }>('POST', `/api/schedules/${String(res.body.id)}/resume`);
    // Midnight in Berlin (UTC+1 in March) is 23:00 UTC the day before.
    expect(resumed.body.next_run).toBe('2026-03-01T23:00:00.000Z');
    expect((await api.call('DELETE', `/api/schedules/${String(res.body.id)}`)).status).toBe(204);
    expect((await api.call('GET', `/api/schedules/${String(res.body.id)}`)).status).toBe(404);
  });
});

describe('the scheduler', () => {
  let id = '';

  it('makes one map at the occurrence, whichever of two services ticks, with clocks 3 s apart', async () => {
    const res = await create({ job: 'nightly', cron: '0 2 * * *', map: { params: [1, 2] }, catchup: 'latest' });
    id = String(res.body.id);
    await Promise.all([a.scheduling.scheduler.tick(), b.scheduling.scheduler.tick()]);
    expect(await groups('nightly')).toEqual([]);
    clock = Date.parse('2026-03-01T02:00:01Z'); // b's clock says 01:59:58: not yet for b
    await b.scheduling.scheduler.tick();
    expect(await groups('nightly')).toEqual([]);
    clock = Date.parse('2026-03-01T02:00:04Z');
    await Promise.all([a.scheduling.scheduler.tick(), b.scheduling.scheduler.tick(), a.scheduling.scheduler.tick(), b.scheduling.scheduler.tick()]);
    const made = await groups('nightly');
    expect(made).toEqual([
      expect.objectContaining({ task_group: occurrenceGroupId(id, '2026-03-01T02:00:00.000Z'), schedule: id, occurrence: '2026-03-01T02:00:00.000Z' })
    ]);
    const got = await api.call<{ last_run: Record<string, unknown>; next_run: string }>('GET', `/api/schedules/${id}`);
    expect(got.body.last_run).toMatchObject({ occurrence: '2026-03-01T02:00:00.000Z', state: 'submitted', trigger: 'cron' });
    expect(got.body.next_run).toBe('2026-03-02T02:00:00.000Z');
  });

  it('runs a missed occurrence once when back, not once per missed occurrence (catchup latest)', async () => {
    clock = Date.parse('2026-03-04T09:30:00Z'); // down across the 2nd, 3rd and 4th at 02:00
    await Promise.all([a.scheduling.scheduler.tick(), b.scheduling.scheduler.tick()]);
    const made = await groups('nightly');
    expect(made.map((g) => g.occurrence)).toEqual(['2026-03-04T02:00:00.000Z', '2026-03-01T02:00:00.000Z']);
  });

  it('skips a missed occurrence with catchup none, and runs the next one on time', async () => {
    const res = await create({ job: 'nightly', cron: '0 * * * *', map: { params: [3] }, catchup: 'none' });
    const hourly = String(res.body.id);
    clock = Date.parse('2026-03-04T11:20:00Z'); // 10:00 and 11:00 passed since its creation at 09:30
    await a.scheduling.scheduler.tick();
    expect((await groups('nightly')).filter((g) => g.schedule === hourly)).toEqual([]);
    const got = await api.call<{ last_run: Record<string, unknown> }>('GET', `/api/schedules/${hourly}`);
    expect(got.body.last_run).toMatchObject({ occurrence: '2026-03-04T11:00:00.000Z', state: 'skipped' });
    clock = Date.parse('2026-03-04T12:00:02Z');
    await a.scheduling.scheduler.tick();
    expect((await groups('nightly')).filter((g) => g.schedule === hourly).map((g) => g.occurrence)).toEqual(['2026-03-04T12:00:00.000Z']);
    await api.call('DELETE', `/api/schedules/${hourly}`);
  });

  it('runs nothing while paused; run now makes a map at once', async () => {
    expect((await api.call('POST', `/api/schedules/${id}/pause`)).body).toMatchObject({ paused: true, next_run: null });
    clock = Date.parse('2026-03-05T02:00:01Z');
    await a.scheduling.scheduler.tick();
    expect((await groups('nightly')).filter((g) => g.occurrence === '2026-03-05T02:00:00.000Z')).toEqual([]);
    const run = await api.call<{ state: string; task_group: string; trigger: string }>('POST', `/api/schedules/${id}/run`);
    expect(run.status).toBe(201);
    expect(run.body).toMatchObject({ state: 'submitted', trigger: 'manual' });
    expect((await groups('nightly')).map((g) => g.task_group)).toContain(run.body.task_group);
    await api.call('POST', `/api/schedules/${id}/resume`);
  });

  it('completes a claim a stopped service left, with one map, and never a second', async () => {
    const db = (await import('mongodb')).MongoClient;
    const client = await db.connect(mongo.url);
    const coll = client.db('schedule_clock').collection(Collections.scheduleRuns);
    // A service that claimed 2026-03-06 02:00 and stopped before mapping; another that mapped
    // 2026-03-07 02:00 and stopped before recording it.
    const before = (await groups('nightly')).length;
    const left = (occurrence: string) => ({
      _id: `${id}:${occurrence}`, schedule: id, job: 'nightly', occurrence, task_group: occurrenceGroupId(id, occurrence),
      state: 'claimed', trigger: 'cron', claimed_at: new Date(Date.parse(occurrence) + 1000).toISOString(), claimed_by: 'gone:1'
    });
    await coll.insertOne(left('2026-03-06T02:00:00.000Z') as never);
    clock = Date.parse('2026-03-06T02:00:30Z');
    await a.scheduling.scheduler.tick(); // the claim is not stale yet: left to its owner
    expect((await groups('nightly')).length).toBe(before);
    clock = Date.parse('2026-03-06T02:02:00Z');
    await Promise.all([a.scheduling.scheduler.tick(), b.scheduling.scheduler.tick()]);
    const afterFirst = await groups('nightly');
    expect(afterFirst.length).toBe(before + 1);
    expect(afterFirst.filter((g) => g.occurrence === '2026-03-06T02:00:00.000Z')).toHaveLength(1);
    expect(await coll.findOne({ _id: `${id}:2026-03-06T02:00:00.000Z` } as never)).toMatchObject({ state: 'submitted' });

    // The map of the 7th went through (the group exists), its claim says 'claimed'.
    await coll.insertOne(left('2026-03-07T02:00:00.000Z') as never);
    clock = Date.parse('2026-03-07T02:00:00.500Z');
    const { withMapOrigin } = await import('../../../../worker/src/domain/map-origin');
    const m = await withMapOrigin({ task_group: occurrenceGroupId(id, '2026-03-07T02:00:00.000Z'), schedule: id, occurrence: '2026-03-07T02:00:00.000Z' }, () =>
      a.jobs.map('nightly', { params: [1, 2] })
    );
    expect(m.task_group).toBe(occurrenceGroupId(id, '2026-03-07T02:00:00.000Z'));
    clock = Date.parse('2026-03-07T02:03:00Z');
    await Promise.all([a.scheduling.scheduler.tick(), b.scheduling.scheduler.tick()]);
    const after = await groups('nightly');
    expect(after.filter((g) => g.occurrence === '2026-03-07T02:00:00.000Z')).toHaveLength(1);
    expect(after.length).toBe(before + 2);
    expect(await coll.findOne({ _id: `${id}:2026-03-07T02:00:00.000Z` } as never)).toMatchObject({ state: 'submitted' });
    await client.close();
  });

  it('a service restarted just after an occurrence runs it once', async () => {
    await a.close();
    clock = Date.parse('2026-03-08T02:00:20Z'); // a was down at 02:00
    a = await service('a-restarted');
    const before = (await groups('nightly')).length;
    await Promise.all([a.scheduling.scheduler.tick(), b.scheduling.scheduler.tick()]);
    await a.scheduling.scheduler.tick();
    const after = await groups('nightly');
    expect(after.length).toBe(before + 1);
    expect(after[0]).toMatchObject({ occurrence: '2026-03-08T02:00:00.000Z', schedule: id });
  });
});
