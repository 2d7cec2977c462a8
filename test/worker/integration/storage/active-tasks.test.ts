/**
 * The active task entries (`storage/active-tasks.ts`) on the local default (FerretDB v1 on SQLite)
 * with a real Redis: every queued or running task has the entry of its current task id through
 * map, start, run, cancel, restart and reset; ended attempts lose theirs; the reconciler finds a
 * stuck task from the entries alone, reading only the queued or running tasks however many
 * finished ones are stored; and the leftovers of a process that died between a task's write and
 * its entry's (an extra entry, never a missing one) are cleaned up without touching the task.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { CommandStartedEvent } from 'mongodb';
import { encodeJson } from '../../../../worker/src/domain/json-bytes';
import type { IJobRun } from '../../../../worker/src/domain/types';
import { RedisQueueInspector } from '../../../../worker/src/queue/queue-inspector';
import { TaskReconciler } from '../../../../worker/src/runtime/task-reconciler';
import { startRedis, type IStartedService } from '../../../../worker/src/stack';
import type { IActiveEntry } from '../../../../worker/src/storage/active-tasks';
import { Collections } from '../../../../worker/src/storage/collections';
import type { ITaskDoc } from '../../../../worker/src/storage/documents';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { startFerretDb } from './ferretdb';

let mongo: { url: string; stop(): Promise<void> };
let redisService: IStartedService;
let redisDir: string;
let redis: Redis;
let store: NbgridStore;
const dbName = `active_${randomUUID().slice(0, 8)}`;
/** `find` commands on the tasks collection, with their filters, while `counting` is on. */
const taskFinds: Record<string, unknown>[] = [];
let counting = false;

beforeAll(async () => {
  mongo = await startFerretDb();
  redisDir = await mkdtemp(join(tmpdir(), 'nbgrid-active-redis-'));
  redisService = await startRedis({ dir: redisDir });
  redis = new Redis(redisService.url);
  store = await NbgridStore.open(mongo.url, { dbName, monitorCommands: true });
  store.connection.client.on('commandStarted', (e: CommandStartedEvent) => {
    if (counting && e.commandName === 'find' && e.command.find === Collections.tasks) taskFinds.push(e.command.filter as Record<string, unknown>);
  });
}, 120000);

afterAll(async () => {
  redis?.disconnect();
  await store?.close();
  await redisService?.stop();
  await mongo?.stop();
  if (redisDir) await rm(redisDir, { recursive: true, force: true });
});

const db = () => store.connection.db;

function run(taskId: string, attempt: number, status: 'OK' | 'ERROR' = 'OK'): IJobRun {
  return { status, ts: new Date().toISOString(), message: status === 'OK' ? '' : 'boom', results: null, duration: 0.1, worker: 'w1', attempt, task_id: taskId };
}

/** A map of `n` tasks of `job`, its task documents written. */
async function map(job: string, n: number) {
  const nb = await store.notebooks.put(job, { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] });
  const m = await store.tasks.createMap({ job, require: 'default', cell_timeout: null, main_sha256: nb.sha256, params: Array.from({ length: n }, (_, i) => encodeJson(i)) });
  await store.tasks.materialize(m.task_group);
  return m;
}

async function entries(taskGroup: string): Promise<IActiveEntry[]> {
  await store.active.settled();
  return db().collection<IActiveEntry>(Collections.activeTasks).find({ task_group: taskGroup }).sort({ task: 1 }).toArray();
}

async function doc(name: string): Promise<ITaskDoc> {
  return (await db().collection<ITaskDoc>(Collections.tasks).findOne({ _id: name }))!;
}

/** The entries a group should have: its queued or running tasks' current task ids. */
async function expectedEntries(taskGroup: string, names: string[]): Promise<string[]> {
  const docs = await Promise.all(names.map(doc));
  return docs.filter((d) => ['PENDING', 'STARTED', 'RETRY'].includes(d.state) && d.task_group === taskGroup).map((d) => d.task_id).sort();
}

function reconciler(batch = 1000): TaskReconciler {
  return new TaskReconciler({ store: store.stuck, queue: new RedisQueueInspector(redis), liveWorkers: async () => [], minAgeMs: 0, recheckMs: 50, batch });
}

/** Every page of the queued or running tasks (what a full round of reconciler passes reads). */
async function allStuck(): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  do {
    const page = await store.stuck.unchangedSince(new Date(Date.now() + 60000).toISOString(), 7, after);
    out.push(...page.tasks.map((t) => t.name));
    after = page.next;
  } while (after !== undefined);
  return out;
}

it('a task has the entry of its current task id while queued or running, and none once it ended', async () => {
  const m = await map('life', 4);
  const names = m.tasks.map((t) => t.name);
  expect((await entries(m.task_group)).map((e) => e._id).sort()).toEqual(m.tasks.map((t) => t.task_id).sort());
  const [a, b, c] = m.tasks;
  await store.runs.markStarted(a.name, a.task_id, 'w1');
  await store.runs.recordRun(a.name, run(a.task_id, 1), null, 1);
  await store.runs.markStarted(b.name, b.task_id, 'w1');
  await store.runs.recordInfraAttempt(b.name, run(b.task_id, 1, 'ERROR')); // back to PENDING, same attempt
  await store.runs.markStarted(c.name, c.task_id, 'w1');
  await store.runs.recordRun(c.name, run(c.task_id, 1, 'ERROR'), null, undefined);
  expect((await doc(a.name)).state).toBe('SUCCESS');
  expect((await doc(b.name)).state).toBe('PENDING');
  expect((await entries(m.task_group)).map((e) => e._id).sort()).toEqual(await expectedEntries(m.task_group, names));
  expect((await entries(m.task_group)).map((e) => e.task)).toEqual([b.name, m.tasks[3].name]);
  // A repair ends the task too.
  const d = await doc(m.tasks[3].name);
  await store.stuck.failStuck({ name: d._id, task_id: d.task_id, state: d.state, updated: d.updated }, run(d.task_id, 1, 'ERROR'));
  expect((await entries(m.task_group)).map((e) => e.task)).toEqual([b.name]);
});

it('cancel, restart and reset keep the entries of exactly the queued or running attempts', async () => {
  const m = await map('bulk', 30);
  const names = m.tasks.map((t) => t.name);
  await store.runs.markStarted(names[0], m.tasks[0].task_id, 'w1');
  await store.runs.recordRun(names[0], run(m.tasks[0].task_id, 1), null, 0);
  await store.runs.markStarted(names[1], m.tasks[1].task_id, 'w1');
  const revoked = await store.tasks.revokeGroup('bulk', m.task_group);
  expect(revoked).toHaveLength(29);
  expect(await entries(m.task_group)).toEqual([]);
  const restarted = await store.tasks.restartGroup('bulk', m.task_group, { reset: false });
  expect(restarted).toHaveLength(29); // not the one with an OK run
  expect((await entries(m.task_group)).map((e) => e._id).sort()).toEqual(restarted.map((r) => r.task_id).sort());
  // A worker starts one of the new attempts; reset replaces every attempt, running or not.
  const r5 = restarted.find((r) => r.prev.name === names[5])!;
  await store.runs.markStarted(names[5], r5.task_id, 'w1');
  const reset = await store.tasks.restartGroup('bulk', m.task_group, { reset: true });
  expect(reset).toHaveLength(30);
  const ids = (await entries(m.task_group)).map((e) => e._id).sort();
  expect(ids).toEqual(reset.map((r) => r.task_id).sort());
  expect(ids).toEqual(await expectedEntries(m.task_group, names));
  // The old attempt, recorded late, neither moves the task nor brings its entry back.
  await store.runs.recordRun(names[5], run(r5.task_id, 2), null, 5);
  expect((await doc(names[5])).state).toBe('PENDING');
  expect((await entries(m.task_group)).map((e) => e._id).sort()).toEqual(ids);
  // Restarting single tasks (restart() of chosen tasks) replaces their entries.
  const d7 = await doc(names[7]);
  const next = randomUUID();
  await store.tasks.restartTasks([{ name: names[7], task_group: m.task_group, prev_task_id: d7.task_id, task_id: next, attempt: d7.attempt + 1, unless_ok: false }]);
  const after = (await entries(m.task_group)).map((e) => e._id);
  expect(after).toContain(next);
  expect(after).not.toContain(d7.task_id);
  expect(after.sort()).toEqual(await expectedEntries(m.task_group, names));
  await store.tasks.revokeGroup('bulk', m.task_group);
  expect(await entries(m.task_group)).toEqual([]);
});

it('restart and cancel of named tasks (job.restart(tasks=...), a row button) keep the entries too', async () => {
  const m = await map('named', 4);
  const names = m.tasks.map((t) => t.name);
  await store.runs.markStarted(names[0], m.tasks[0].task_id, 'w1');
  await store.runs.recordRun(names[0], run(m.tasks[0].task_id, 1), null, 0);
  // A final task restarted by name gets an entry; a queued one restarted by name swaps its entry.
  const restarted = await store.tasks.restartNamed('named', m.task_group, [names[0], names[1]], {});
  expect(restarted).toHaveLength(2);
  let ids = (await entries(m.task_group)).map((e) => e._id);
  for (const r of restarted) expect(ids).toContain(r.task_id);
  expect(ids).not.toContain(m.tasks[1].task_id);
  expect(ids.sort()).toEqual(await expectedEntries(m.task_group, names));
  // Cancelling by name ends those attempts: their entries go, the others stay.
  await store.tasks.revokeNamed('named', m.task_group, [names[1], names[2]]);
  ids = (await entries(m.task_group)).map((e) => e._id);
  expect(ids.sort()).toEqual(await expectedEntries(m.task_group, names));
  expect(ids).toHaveLength(2);
});

it('the reconciler finds a stuck task from the entries, reading only queued or running tasks however many finished ones are stored', async () => {
  const done = await map('finished', 300);
  await store.tasks.revokeGroup('finished', done.task_group);
  const stuck = await map('stuck', 2);
  // The message of these tasks is in no queue (this Redis holds none): both are lost.
  const active = await db().collection(Collections.activeTasks).countDocuments({});
  await store.active.backfill(); // once per database (a full read, for stores from before the entries)
  counting = true;
  taskFinds.length = 0;
  let report;
  try {
    report = await reconciler().reconcileOnce();
  } finally {
    counting = false;
  }
  expect(report.repaired.map((t) => t.name).sort()).toEqual(expect.arrayContaining(stuck.tasks.map((t) => t.name)));
  // One read by `_id` per queued or running task, and one per repair (under its lock); none of
  // the 300 finished ones, and no filter beside `_id`.
  expect(taskFinds.length).toBeLessThanOrEqual(2 * active);
  expect(taskFinds.every((f) => Object.keys(f).length === 1 && typeof f._id === 'string')).toBe(true);
  expect(await entries(stuck.task_group)).toEqual([]);
});

it('leftovers of a process that died between the two writes: extra entries are deleted, the tasks left alone', async () => {
  const m = await map('crash', 3);
  const [a, b] = m.tasks;
  // Died after writing a new attempt's entry, before the write that would have made it active.
  const orphan: IActiveEntry = { _id: randomUUID(), task: a.name, task_group: m.task_group, at: new Date() };
  // Died after ending a task, before deleting its entry.
  await db().collection<ITaskDoc>(Collections.tasks).updateOne({ _id: b.name }, { $set: { state: 'SUCCESS', run_status: 'OK' } });
  // Died after writing the entries of a map whose task documents were never written, then the
  // group was deleted: an entry of a task that does not exist.
  const ghost: IActiveEntry = { _id: randomUUID(), task: `tasks/crash/deadbeef-0`, task_group: 'deadbeef', at: new Date(Date.now() - 1000) };
  await db().collection<IActiveEntry>(Collections.activeTasks).insertMany([orphan, ghost]);
  const found = await allStuck();
  // a's attempt and the third task are still queued: found, through their own entries.
  expect(found).toEqual(expect.arrayContaining([a.name, m.tasks[2].name]));
  expect(found).not.toContain(b.name);
  const left = (await db().collection<IActiveEntry>(Collections.activeTasks).find({}).toArray()).map((e) => e._id);
  expect(left).not.toContain(orphan._id);
  expect(left).not.toContain(ghost._id);
  expect(left).not.toContain(b.task_id);
  expect(left).toEqual(expect.arrayContaining([a.task_id, m.tasks[2].task_id]));
  expect((await doc(a.name)).state).toBe('PENDING');
  expect((await doc(b.name)).state).toBe('SUCCESS');
});

it('a store written before the entries existed gets them once, so its stuck tasks are still found', async () => {
  const m = await map('legacy', 2);
  // As an older nbgrid left it: active tasks, no entries, no migration mark.
  await db().collection(Collections.activeTasks).deleteMany({});
  await db().collection(Collections.migrations).deleteMany({});
  const fresh = await NbgridStore.open(mongo.url, { dbName });
  try {
    let after: string | undefined;
    const found: string[] = [];
    do {
      const page = await fresh.stuck.unchangedSince(new Date(Date.now() + 60000).toISOString(), 1000, after);
      found.push(...page.tasks.map((t) => t.name));
      after = page.next;
    } while (after !== undefined);
    expect(found).toEqual(expect.arrayContaining(m.tasks.map((t) => t.name)));
    expect(await db().collection(Collections.migrations).countDocuments({ _id: 'active_tasks' as never })).toBe(1);
  } finally {
    await fresh.close();
  }
});

it('deleting a group deletes its entries', async () => {
  const m = await map('gone', 3);
  expect(await entries(m.task_group)).toHaveLength(3);
  await store.tasks.deleteGroup(m.task_group);
  expect(await entries(m.task_group)).toEqual([]);
});
