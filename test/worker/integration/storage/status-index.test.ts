/**
 * The status index in Redis (worker/src/storage/status-index.ts) on a real Redis and FerretDB:
 * its merge rules, and that `status()` read through it always ends up equal to what MongoDB holds.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { ITaskPublisher } from '../../../../worker/src/domain/ports';
import type { IJobRun, IStatusRow } from '../../../../worker/src/domain/types';
import { JobService } from '../../../../worker/src/jobs/job-service';
import { startRedis } from '../../../../worker/src/stack';
import { Collections } from '../../../../worker/src/storage/collections';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { StatusIndex } from '../../../../worker/src/storage/status-index';
import { freePort, startFerretDb } from './ferretdb';

const publisher: ITaskPublisher = { publishMany: async () => undefined, revoke: async () => undefined };

let mongo: { url: string; stop(): Promise<void> };
let redisDir: string;
let redisServer: { url: string; stop(): Promise<void> };
let redis: Redis;
let dbName: string;
/** Reads and writes through the index. */
let indexed: NbgridStore;
/** Reads MongoDB only: the truth the index must agree with. */
let plain: NbgridStore;
let svc: JobService;
let truth: JobService;

function row(jobId: number, status: IStatusRow['status'], message = ''): IStatusRow {
  return { name: `tasks/n/abcd0000-${jobId}`, task_id: `id${jobId}`, status, run_status: 'unknown', task_group: 'abcd0000', job_id: jobId, duration: null, worker: null, message, results: null };
}

function run(taskId: string, status: 'OK' | 'ERROR'): IJobRun {
  return { status, ts: new Date().toISOString(), message: status === 'OK' ? '' : 'ValueError: no', results: null, duration: 0.25, worker: 'nbgrid@w', attempt: 1, task_id: taskId };
}

const notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
  cells: [{ id: 'a', cell_type: 'code', metadata: { tags: ['parameters'] }, source: "job = globals().get('job', {'param': 9})", outputs: [], execution_count: null }]
};

beforeAll(async () => {
  mongo = await startFerretDb();
  redisDir = await mkdtemp(join(tmpdir(), 'nbgrid-index-'));
  redisServer = await startRedis({ dir: redisDir });
  redis = new Redis(redisServer.url);
  dbName = `index_${randomUUID().slice(0, 8)}`;
  indexed = await NbgridStore.open(mongo.url, { dbName, statusIndex: new StatusIndex(redis) });
  plain = await NbgridStore.open(mongo.url, { dbName });
  svc = new JobService({ store: indexed, publisher, liveWorkers: async () => [], emit: () => undefined });
  truth = new JobService({ store: plain, publisher, liveWorkers: async () => [], emit: () => undefined });
  await svc.putNotebook('n', notebook);
});

afterAll(async () => {
  await indexed?.close();
  await plain?.close();
  redis?.disconnect();
  await redisServer?.stop();
  await mongo?.stop();
  await rm(redisDir, { recursive: true, force: true });
});

/** A group's complete index, parsed (null when it has none): what `status()` would answer from it. */
async function readIndex(index: StatusIndex, taskGroup: string): Promise<{ rows: IStatusRow[]; built: number } | null> {
  const found = await index.readJson(taskGroup);
  return found && { rows: JSON.parse(found.json) as IStatusRow[], built: found.built };
}

describe('StatusIndex merge rules', () => {
  it('is not readable until a build completes, and a write never replaces a newer revision', async () => {
    const index = new StatusIndex(redis, { prefix: `t1:${randomUUID()}:` });
    await index.apply('g', [{ rev: 1, row: row(0, 'STARTED') }]);
    expect(await readIndex(index, 'g')).toBeNull(); // no hash: the write was dropped, not a partial index

    const token = await index.begin('g');
    await index.apply('g', [{ rev: 3, row: row(0, 'SUCCESS') }]); // arrives while the build reads MongoDB
    expect(await readIndex(index, 'g')).toBeNull();
    expect(await index.complete('g', token, [{ rev: 2, row: row(0, 'STARTED') }, { rev: 0, row: row(1, 'PENDING') }])).toBe(true);
    const read = await readIndex(index, 'g');
    expect(read?.rows.map((r) => [r.job_id, r.status])).toEqual([[0, 'SUCCESS'], [1, 'PENDING']]);

    await index.apply('g', [{ rev: 3, row: row(1, 'FAILURE') }, { rev: 2, row: row(0, 'STARTED') }]);
    expect((await readIndex(index, 'g'))?.rows.map((r) => [r.job_id, r.status])).toEqual([[0, 'SUCCESS'], [1, 'FAILURE']]);
  });

  it('a build that raced with a drop (or a newer build) cannot mark the index complete', async () => {
    const index = new StatusIndex(redis, { prefix: `t2:${randomUUID()}:` });
    const stale = await index.begin('g');
    await index.drop('g'); // e.g. a restart's bulk update
    expect(await index.complete('g', stale, [{ rev: 1, row: row(0, 'SUCCESS') }])).toBe(false);
    expect(await readIndex(index, 'g')).toBeNull();

    const first = await index.begin('g');
    const second = await index.begin('g');
    expect(await index.complete('g', first, [{ rev: 1, row: row(0, 'SUCCESS') }])).toBe(false);
    expect(await index.complete('g', second, [{ rev: 2, row: row(0, 'PENDING') }])).toBe(true);
    expect((await readIndex(index, 'g'))?.rows.map((r) => r.status)).toEqual(['PENDING']);
  });

  it('keeps every row of a group larger than one script call, in job_id order', async () => {
    const index = new StatusIndex(redis, { prefix: `t3:${randomUUID()}:` });
    const rows = Array.from({ length: 4500 }, (_, i) => ({ rev: 0, row: row(4499 - i, 'PENDING', `m${4499 - i}`) }));
    const token = await index.begin('g');
    expect(await index.complete('g', token, rows)).toBe(true);
    const read = await readIndex(index, 'g');
    expect(read?.rows).toHaveLength(4500);
    expect(read?.rows.map((r) => r.job_id)).toEqual(Array.from({ length: 4500 }, (_, i) => i));
    expect(read?.rows[17].message).toBe('m17');
  });
});

describe('status() through the index equals status() from MongoDB', () => {
  async function expectAgree(group: string): Promise<IStatusRow[]> {
    const fromIndex = await svc.status('n', group);
    expect(fromIndex).toEqual(await truth.status('n', group));
    return fromIndex;
  }

  it('after map, start, runs, a lost attempt, a late run, restart and cancel', async () => {
    const m = await svc.map('n', { params: [0, 1, 2, 3, 4, 5] });
    const g = m.task_group;
    expect(await redis.hget(`nbgrid:status:${g}`, '_complete')).toBe('1'); // map seeded it
    await expectAgree(g);

    const [t0, t1, t2, t3] = m.tasks;
    await indexed.runs.markStarted(t0.name, t0.task_id, 'nbgrid@a');
    await indexed.runs.markStarted(t1.name, t1.task_id, 'nbgrid@b');
    expect((await expectAgree(g)).slice(0, 2).map((r) => [r.status, r.worker])).toEqual([['STARTED', 'nbgrid@a'], ['STARTED', 'nbgrid@b']]);

    await indexed.runs.recordRun(t0.name, run(t0.task_id, 'OK'), null, 42);
    await indexed.runs.recordRun(t1.name, run(t1.task_id, 'ERROR'), null, undefined);
    await indexed.runs.recordLostAttempt(t2.name, { ...run(t2.task_id, 'ERROR'), message: 'worker stopped during the run' });
    await indexed.runs.recordRun(t0.name, { ...run(t0.task_id, 'OK'), attempt: 2 }, null, 43); // late: not counted
    const rows = await expectAgree(g);
    expect(rows.slice(0, 3).map((r) => [r.status, r.run_status])).toEqual([['SUCCESS', 'OK'], ['FAILURE', 'ERROR'], ['PENDING', 'unknown']]);
    expect(rows[0].message).toMatch(/^not counted/);
    expect(rows[2].message).toBe('worker stopped during the run');

    await svc.restart('n', { task_group: g });
    const afterRestart = await expectAgree(g);
    expect(afterRestart[1].status).toBe('PENDING');
    expect(afterRestart[1].task_id).not.toBe(t1.task_id);
    expect(await redis.hget(`nbgrid:status:${g}`, '_complete')).toBe('1'); // kept: the restart put its rows
    const built = await redis.hget(`nbgrid:status:${g}`, '_built');

    await indexed.runs.markStarted(t3.name, t3.task_id, 'nbgrid@c');
    await svc.cancel('n', { task_group: g });
    const afterCancel = await expectAgree(g);
    expect(afterCancel.map((r) => r.status)).toEqual(['SUCCESS', 'REVOKED', 'REVOKED', 'REVOKED', 'REVOKED', 'REVOKED']);
    // Answered from the rows the bulk updates put, not from a rebuild (a rebuild sets `_built`).
    expect(await redis.hget(`nbgrid:status:${g}`, '_built')).toBe(built);
    await svc.restart('n', { task_group: g, reset: true });
    expect((await expectAgree(g)).map((r) => r.status)).toEqual(['PENDING', 'PENDING', 'PENDING', 'PENDING', 'PENDING', 'PENDING']);
    expect(await redis.hget(`nbgrid:status:${g}`, '_built')).toBe(built);
  });

  it('a row missed by a writer that died after its MongoDB write is repaired by the background refresh', async () => {
    const quick = await NbgridStore.open(mongo.url, { dbName, statusIndex: new StatusIndex(redis, { refreshMs: 0 }) });
    try {
      const quickSvc = new JobService({ store: quick, publisher, liveWorkers: async () => [], emit: () => undefined });
      const m = await quickSvc.map('n', { params: [0, 1] });
      await quickSvc.settled();
      // What a worker that crashed between its two writes leaves behind: MongoDB changed, the index not.
      await quick.connection.db.collection(Collections.tasks).updateOne({ _id: m.tasks[1].name }, { $set: { state: 'SUCCESS', run_status: 'OK' }, $inc: { rev: 1 } });
      const first = await quickSvc.status('n', m.task_group);
      expect(first[1].status).toBe('PENDING'); // served from the index, refresh started
      let rows = first;
      for (let i = 0; i < 50 && rows[1].status !== 'SUCCESS'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        rows = await quickSvc.status('n', m.task_group);
      }
      expect(rows).toEqual(await truth.status('n', m.task_group));
      expect(rows[1].status).toBe('SUCCESS');
    } finally {
      await quick.close();
    }
  });

  it('with Redis unreachable, map and status still work from MongoDB', async () => {
    const dead = new Redis(`redis://127.0.0.1:${await freePort()}/0`, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    dead.on('error', () => undefined);
    const lines: string[] = [];
    const offline = await NbgridStore.open(mongo.url, { dbName, statusIndex: new StatusIndex(dead), log: (l) => lines.push(l) });
    try {
      const offlineSvc = new JobService({ store: offline, publisher, liveWorkers: async () => [], emit: () => undefined });
      const m = await offlineSvc.map('n', { params: [7, 8] });
      await offline.runs.markStarted(m.tasks[0].name, m.tasks[0].task_id, 'nbgrid@x');
      const rows = await offlineSvc.status('n', m.task_group);
      expect(rows).toEqual(await truth.status('n', m.task_group));
      expect(rows.map((r) => r.status)).toEqual(['STARTED', 'PENDING']);
      expect(lines.some((l) => /status index/.test(l))).toBe(true);
    } finally {
      await offline.close();
      dead.disconnect();
    }
  });
});
