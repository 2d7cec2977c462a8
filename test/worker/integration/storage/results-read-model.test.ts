/**
 * The results read model in Redis (worker/src/storage/results-read-model.ts) on a real Redis and
 * FerretDB: a results table read through it is the same, byte for byte, as the table built from
 * the task documents alone, after runs are recorded, after its keys are deleted or Redis is
 * flushed (it is rebuilt from MongoDB), after a restart and a new run of a task, for values over
 * its size limit, for values JSON cannot hold, and for a group stored without a parameter array.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Binary } from 'mongodb';
import { responseJson } from '../../../../worker/src/domain/json-bytes';
import type { IMapResult, ITaskPublisher } from '../../../../worker/src/domain/ports';
import type { IJobRun } from '../../../../worker/src/domain/types';
import { inputKey, notebookDigest } from '../../../../worker/src/cache/input-key';
import { JobService } from '../../../../worker/src/jobs/job-service';
import { tableCsv } from '../../../../worker/src/jobs/results-table';
import { startRedis } from '../../../../worker/src/stack';
import { Collections } from '../../../../worker/src/storage/collections';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { ResultsReadModel } from '../../../../worker/src/storage/results-read-model';
import { StatusIndex } from '../../../../worker/src/storage/status-index';
import { freePort, startFerretDb } from './ferretdb';

const publisher: ITaskPublisher = { publishMany: async () => undefined, revoke: async () => undefined };

/** Largest result + glued values text kept in a row here (small, so the limit is exercised). */
const MAX_ROW = 200;

let mongo: { url: string; stop(): Promise<void> };
let redisDir: string;
let redisServer: { url: string; stop(): Promise<void> };
let redis: Redis;
let dbName: string;
/** Reads and writes through the status index and the results read model. */
let indexed: NbgridStore;
/** Reads MongoDB only: the truth the read model must agree with. */
let plain: NbgridStore;
const lines: string[] = [];

const model = () => new ResultsReadModel(redis, { maxRowChars: MAX_ROW });
/** A job service of its own per call: no table kept in memory from an earlier call. */
const service = (store: NbgridStore) => new JobService({ store, publisher, liveWorkers: async () => [], emit: () => undefined });

const notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
  cells: [{ id: 'a', cell_type: 'code', metadata: { tags: ['parameters'] }, source: "job = globals().get('job', {'param': 9})", outputs: [], execution_count: null }]
};

/** A glue output as scrapbook 0.5 writes it. */
const glue = (name: string, data: unknown, encoder = 'json') => ({
  output_type: 'display_data',
  data: { [`application/scrapbook.scrap.${encoder}+json`]: { name, data, encoder, version: 1 } },
  metadata: { scrapbook: { name, data: true, display: false } }
});

/** A result notebook whose one cell glued `scraps`. */
function resultNotebook(scraps: [string, unknown][]): Record<string, unknown> {
  return { ...notebook, cells: [{ id: 'b', cell_type: 'code', metadata: {}, source: 'sb.glue(...)', execution_count: 1, outputs: scraps.map(([n, v]) => glue(n, v)) }] };
}

function run(taskId: string, status: 'OK' | 'ERROR', duration = 0.25): IJobRun {
  return { status, ts: new Date().toISOString(), message: status === 'OK' ? '' : 'ValueError: no', results: null, duration, worker: 'nbgrid@w', attempt: 1, task_id: taskId };
}

beforeAll(async () => {
  mongo = await startFerretDb();
  redisDir = await mkdtemp(join(tmpdir(), 'nbgrid-results-model-'));
  redisServer = await startRedis({ dir: redisDir });
  redis = new Redis(redisServer.url);
  dbName = `results_${randomUUID().slice(0, 8)}`;
  indexed = await NbgridStore.open(mongo.url, { dbName, statusIndex: new StatusIndex(redis), resultsReadModel: model(), log: (l) => lines.push(l) });
  plain = await NbgridStore.open(mongo.url, { dbName });
  await service(indexed).putNotebook('n', notebook);
});

afterAll(async () => {
  await indexed?.close();
  await plain?.close();
  redis?.disconnect();
  await redisServer?.stop();
  await mongo?.stop();
  await rm(redisDir, { recursive: true, force: true });
});

/** The table through the read model, checked equal (JSON and CSV, byte for byte) to the one from the task documents alone. */
async function expectSameTable(group: string): Promise<unknown[][]> {
  const [through, truth] = [await service(indexed).resultsTable('n', group), await service(plain).resultsTable('n', group)];
  expect(responseJson(through)).toBe(responseJson(truth));
  expect(tableCsv(through)).toBe(tableCsv(truth));
  return JSON.parse(responseJson(through)).rows as unknown[][];
}

const rowsKey = (group: string) => `nbgrid:results:v1:${group}`;

/** A grid's task `i` of 12: alpha x n. */
const param = (i: number) => ({ alpha: [0.1, 0.5, 0.9][Math.floor(i / 4)], n: (i % 4) + 1 });

/** Map 12 tasks and record their runs: every fifth raises, the others return a value and glue two. */
async function finishedGrid(): Promise<{ group: string; tasks: IMapResult['tasks'] }> {
  const svc = service(indexed);
  const m = await svc.map('n', { params: Array.from({ length: 12 }, (_, i) => param(i)) });
  await svc.settled();
  for (const [i, t] of m.tasks.entries()) {
    const { alpha, n } = param(i);
    if (i % 5 === 4) await indexed.runs.recordRun(t.name, run(t.task_id, 'ERROR'), resultNotebook([]), undefined);
    else await indexed.runs.recordRun(t.name, run(t.task_id, 'OK', i / 8), resultNotebook([['acc', alpha * n], ['label', `a${alpha}|n${n}`]]), { loss: alpha / n, i });
  }
  return { group: m.task_group, tasks: m.tasks };
}

describe('results tables through the read model', () => {
  let group = '';
  let tasks: IMapResult['tasks'] = [];

  it('are written with each OK run and give the same table as the task documents', async () => {
    ({ group, tasks } = await finishedGrid());
    // One row per OK task (the 2 ERROR tasks have none), written by the recording itself.
    expect(await redis.hlen(rowsKey(group))).toBe(10);
    const rows = await expectSameTable(group);
    expect(rows).toHaveLength(12);
    expect(rows[1].slice(0, 7)).toEqual([0.1, 2, 0.05, 1, 0.2, 'a0.1|n2', 'SUCCESS']);
    expect(rows[4].slice(2, 7)).toEqual([null, null, null, null, 'FAILURE']);
    // Served from Redis: the group's task documents changed behind its back are not read.
    await indexed.connection.db.collection(Collections.tasks).updateOne({ _id: tasks[1].name }, { $set: { scraps: null } });
    const fromModel = JSON.parse(responseJson(await service(indexed).resultsTable('n', group))).rows as unknown[][];
    expect(fromModel[1][5]).toBe('a0.1|n2');
    await indexed.connection.db.collection(Collections.tasks).updateOne({ _id: tasks[1].name }, { $unset: { scraps: '' } });
    await redis.del(rowsKey(group));
  });

  it('are rebuilt from MongoDB when the keys are deleted, and rewritten for the next call', async () => {
    await redis.del(rowsKey(group));
    await expectSameTable(group);
    expect(await redis.hlen(rowsKey(group))).toBe(10);
    // A row damaged or left by another encoding reads as missing, never as a value.
    await redis.hset(rowsKey(group), '0', 'not a row');
    await redis.hset(rowsKey(group), '2', '999|4|-1|-1|nope'); // another task id: stale
    await expectSameTable(group);
    expect(await redis.hget(rowsKey(group), '0')).toMatch(/^\d+\|/);
  });

  it('follow a restart and the new run of a task', async () => {
    const before = await expectSameTable(group);
    const name = tasks[3].name;
    const restarted = await service(indexed).restart('n', { task_group: group, tasks: [name] });
    expect(restarted.restarted.map((r) => r.name)).toEqual([name]);
    const pending = await expectSameTable(group);
    expect(pending[3].slice(2, 7)).toEqual([null, null, null, null, 'PENDING']);
    const newId = restarted.restarted[0].task_id;
    await indexed.runs.recordRun(name, run(newId, 'OK'), resultNotebook([['acc', -1]]), { loss: 'changed', i: 3 });
    const after = await expectSameTable(group);
    expect(after[3].slice(2, 7)).toEqual(['changed', 3, -1, null, 'SUCCESS']);
    expect(after[3]).not.toEqual(before[3]);
    expect(after.filter((_, i) => i !== 3)).toEqual(before.filter((_, i) => i !== 3));
  });

  it('are right after Redis loses everything (FLUSHALL), and the read model comes back', async () => {
    const before = await expectSameTable(group);
    await redis.flushall();
    expect(await expectSameTable(group)).toEqual(before);
    expect(await redis.hlen(rowsKey(group))).toBe(10);
    expect(await redis.hget(`nbgrid:status:${group}`, '_complete')).toBe('1');
  });

  it('read values over the size limit from MongoDB, every time', async () => {
    const svc = service(indexed);
    const m = await svc.map('n', { params: [{ alpha: 1, n: 1 }, { alpha: 2, n: 1 }] });
    await svc.settled();
    const big = { text: 'x'.repeat(MAX_ROW), n: 1 };
    await indexed.runs.recordRun(m.tasks[0].name, run(m.tasks[0].task_id, 'OK'), resultNotebook([['acc', 1]]), big);
    await indexed.runs.recordRun(m.tasks[1].name, run(m.tasks[1].task_id, 'OK'), resultNotebook([['acc', 2]]), { text: 'small', n: 2 });
    expect(await redis.hget(rowsKey(m.task_group), '0')).toMatch(/^\d+\|\d+\|-2\|-2\|/);
    const rows = await expectSameTable(m.task_group);
    expect(rows.map((r) => r.slice(0, 5))).toEqual([[1, 1, big.text, 1, 1], [2, 1, 'small', 2, 2]]);
  });

  it('keep values JSON cannot hold exactly as the task documents do', async () => {
    const svc = service(indexed);
    const m = await svc.map('n', { params: [1, 2] });
    await svc.settled();
    await indexed.runs.recordRun(m.tasks[0].name, run(m.tasks[0].task_id, 'OK'), resultNotebook([['v', 'ü|🚀']]), 0);
    await indexed.runs.recordRun(m.tasks[1].name, run(m.tasks[1].task_id, 'OK'), null, [1, 2]);
    // Stored bytes as Python's json writes them: NaN, a number beyond a double, key order, -0.0.
    const odd = '{"nan": NaN, "inf": -Infinity, "big": 12345678901234567890, "z": 1.50, "a": "|\\u0000|", "m": -0.0}';
    await indexed.connection.db.collection(Collections.tasks).updateOne({ _id: m.tasks[0].name } as never, { $set: { result: new Binary(Buffer.from(odd)) } });
    await redis.del(rowsKey(m.task_group));
    await expectSameTable(m.task_group); // rebuilt from the documents
    expect(await redis.hlen(rowsKey(m.task_group))).toBe(2);
    const table = await service(indexed).resultsTable('n', m.task_group); // from the rows
    await expectSameTable(m.task_group);
    // JSON answers what it can (NaN as null, as without the read model); CSV keeps the text.
    expect(JSON.parse(responseJson(table)).rows[0][1]).toEqual({ nan: null, inf: null, big: 12345678901234567000, z: 1.5, a: '|\u0000|', m: 0 });
    expect(tableCsv(table).split('\r\n')[1]).toBe(`1,"${odd.replace(/"/g, '""')}",ü|🚀,SUCCESS,OK,0.25,${m.tasks[0].name}`);
  });

  it('fall back to the task documents for a group stored without a parameter array', async () => {
    const svc = service(indexed);
    const m = await svc.map('n', { params: [5, 6, 7] });
    await svc.settled();
    await indexed.runs.recordRun(m.tasks[1].name, run(m.tasks[1].task_id, 'OK'), null, 'six');
    await indexed.connection.db.collection(Collections.taskGroups).updateOne({ _id: m.task_group } as never, { $unset: { params: '', params_sha256: '' } });
    // A fresh store: no parameters kept in memory from the map.
    const fresh = await NbgridStore.open(mongo.url, { dbName, statusIndex: new StatusIndex(redis), resultsReadModel: model() });
    try {
      const rows = JSON.parse(responseJson(await service(fresh).resultsTable('n', m.task_group))).rows as unknown[][];
      expect(rows.map((r) => r.slice(0, 3))).toEqual([[5, null, 'PENDING'], [6, 'six', 'SUCCESS'], [7, null, 'PENDING']]);
      expect(responseJson(await service(fresh).resultsTable('n', m.task_group))).toBe(responseJson(await service(plain).resultsTable('n', m.task_group)));
    } finally {
      await fresh.close();
    }
  });

  it("hold a map's cached tasks from the map on", async () => {
    const svc = new JobService({ store: indexed, publisher, liveWorkers: async () => [], emit: () => undefined, cache: indexed.cache });
    const first = await svc.map('n', { params: [11, 12] });
    await svc.settled();
    await indexed.runs.recordRun(first.tasks[0].name, run(first.tasks[0].task_id, 'OK'), null, 'eleven');
    const main = await indexed.notebooks.get('n');
    await indexed.cache.record('n', first.tasks[0], inputKey(notebookDigest(main.content), '11'), null, 'eleven');
    const m = await svc.map('n', { params: [11, 13], cache: true });
    expect(m.cached).toBe(1);
    expect(await redis.hkeys(rowsKey(m.task_group))).toEqual(['0']);
    const rows = await expectSameTable(m.task_group);
    expect(rows.map((r) => r.slice(0, 3))).toEqual([[11, 'eleven', 'SUCCESS'], [13, null, 'PENDING']]);
  });

  it('are right with the read model unreachable (answered from MongoDB, said in the log)', async () => {
    const dead = new Redis(`redis://127.0.0.1:${await freePort()}/0`, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    dead.on('error', () => undefined);
    const offlineLines: string[] = [];
    const offline = await NbgridStore.open(mongo.url, { dbName, statusIndex: new StatusIndex(redis), resultsReadModel: new ResultsReadModel(dead), log: (l) => offlineLines.push(l) });
    try {
      const svc = service(offline);
      const m = await svc.map('n', { params: [1, 2] });
      await svc.settled();
      await offline.runs.recordRun(m.tasks[1].name, run(m.tasks[1].task_id, 'OK'), resultNotebook([['acc', 3]]), 'two');
      const rows = JSON.parse(responseJson(await svc.resultsTable('n', m.task_group))).rows as unknown[][];
      expect(rows.map((r) => r.slice(0, 4))).toEqual([[1, null, null, 'PENDING'], [2, 'two', 3, 'SUCCESS']]);
      expect(offlineLines.some((l) => /results read model/.test(l))).toBe(true);
    } finally {
      await offline.close();
      dead.disconnect();
    }
  });

  it("are dropped with their group", async () => {
    const svc = service(indexed);
    const m = await svc.map('n', { params: [1] });
    await svc.settled();
    await indexed.runs.recordRun(m.tasks[0].name, run(m.tasks[0].task_id, 'OK'), null, 1);
    expect(await redis.exists(rowsKey(m.task_group))).toBe(1);
    await indexed.tasks.deleteGroup(m.task_group);
    expect(await redis.exists(rowsKey(m.task_group))).toBe(0);
    expect(lines.filter((l) => /results read model/.test(l))).toEqual([]);
  });
});
