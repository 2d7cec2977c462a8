/**
 * Every read and write nbgrid makes for one task stays O(1) in the tasks stored, on the local
 * default: FerretDB v1 on SQLite hands a filter to SQLite (and its `_id` index, see
 * scripts/bootstrap.sh) only when it is exactly `{_id: <string>}`; any other filter reads and
 * decodes every document of the collection. This test records the commands of a task's whole life
 * (render, start, record a run with its result notebook, a lost and an infrastructure attempt, a
 * repair, reads by name, its result notebook, its group's status rows) and asks FerretDB itself,
 * through `explain`, whether each filter was pushed down. A query on `state`, `task_group` or
 * `job` anywhere on that path fails it.
 */
import { randomUUID } from 'node:crypto';
import type { CommandStartedEvent, Document } from 'mongodb';
import { encodeJson } from '../../../../worker/src/domain/json-bytes';
import type { IJobRun } from '../../../../worker/src/domain/types';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { startFerretDb } from './ferretdb';

let mongo: { url: string; stop(): Promise<void> };
let store: NbgridStore;
/** Filters sent while recording: collection, command, filter. */
const seen: { collection: string; command: string; filter: Document }[] = [];
let recording = false;

beforeAll(async () => {
  mongo = await startFerretDb();
  store = await NbgridStore.open(mongo.url, { dbName: `pushdown_${randomUUID().slice(0, 8)}`, monitorCommands: true });
  store.connection.client.on('commandStarted', (e: CommandStartedEvent) => {
    if (!recording) return;
    const c = e.command;
    const add = (collection: unknown, filter: unknown) => seen.push({ collection: String(collection), command: e.commandName, filter: (filter ?? {}) as Document });
    if (e.commandName === 'find') add(c.find, c.filter);
    else if (e.commandName === 'findAndModify') add(c.findAndModify, c.query);
    else if (e.commandName === 'update') for (const u of c.updates as Document[]) add(c.update, u.q);
    else if (e.commandName === 'delete') for (const d of c.deletes as Document[]) add(c.delete, d.q);
    else if (e.commandName === 'count') add(c.count, c.query);
    else if (e.commandName === 'aggregate') add(c.aggregate, { $aggregate: c.pipeline });
  });
}, 60000);

afterAll(async () => {
  await store?.close();
  await mongo?.stop();
});

function run(taskId: string, attempt: number, status: 'OK' | 'ERROR', worker = 'w1'): IJobRun {
  return { status, ts: new Date().toISOString(), message: status === 'OK' ? '' : 'lost', results: null, duration: 0.1, worker, attempt, task_id: taskId };
}

it("every filter of a task's reads and writes is one FerretDB pushes down ({_id: <string>})", async () => {
  const nb = await store.notebooks.put('push', { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] });
  const m = await store.tasks.createMap({ job: 'push', require: 'default', cell_timeout: null, main_sha256: nb.sha256, params: [1, 2, 3].map((p) => encodeJson(p)) });
  await store.tasks.materialize(m.task_group);
  await store.active.backfill(); // once per database, not per task
  const [a, b] = m.tasks;

  recording = true;
  try {
    // A worker: render, start, record the run with a result notebook and value.
    await store.runs.renderTask(a.name);
    await store.runs.markStarted(a.name, a.task_id, 'w1');
    const written = await store.runs.recordRun(a.name, run(a.task_id, 1, 'OK'), { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] }, { value: 42 });
    // A lost attempt, an infrastructure failure (back to PENDING), then a repair by the reconciler.
    await store.runs.markStarted(b.name, b.task_id, 'w2');
    await store.runs.recordLostAttempt(b.name, run(b.task_id, 1, 'ERROR', 'w0'));
    await store.runs.recordInfraAttempt(b.name, run(b.task_id, 2, 'ERROR', 'w2'));
    const tb = await store.runs.get(b.name);
    await store.stuck.failStuck({ name: tb.name, task_id: tb.task_id, state: tb.state, updated: tb.updated }, run(b.task_id, 3, 'ERROR'));
    // The API: a task by name, its result notebook, and the group's status rows from MongoDB.
    await store.tasks.renderTask(a.name);
    await store.notebooks.getResult(written!.job_runs[0].results!);
    expect((await store.tasks.summaries('push', m.task_group)).map((t) => t.state)).toEqual(['SUCCESS', 'FAILURE', 'PENDING']);
    await store.tasks.list('push', m.task_group);
    await store.tasks.hasGroup('push', m.task_group);
  } finally {
    recording = false;
  }

  expect(seen.length).toBeGreaterThan(20);
  const notPushed: string[] = [];
  for (const s of seen) {
    const explained = await store.connection.db.command({ explain: { find: s.collection, filter: s.filter } });
    if (explained.filterPushdown !== true) notPushed.push(`${s.command} on ${s.collection}: ${JSON.stringify(s.filter)}`);
  }
  expect(notPushed).toEqual([]);
});

it('control: FerretDB says a filter beside _id is not pushed down', async () => {
  const db = store.connection.db;
  expect((await db.command({ explain: { find: 'tasks', filter: { _id: 'x' } } })).filterPushdown).toBe(true);
  expect((await db.command({ explain: { find: 'tasks', filter: { _id: 'x', state: 'PENDING' } } })).filterPushdown).toBe(false);
  expect((await db.command({ explain: { find: 'tasks', filter: { task_group: 'x' } } })).filterPushdown).toBe(false);
});
