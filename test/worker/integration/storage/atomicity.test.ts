/**
 * Exactly once on the local default (FerretDB v1 on SQLite, as `nbgrid up` starts it): FerretDB
 * reads a conditional update's match and writes the document back in two steps, so concurrent
 * conditional updates of one document can all match and undo each other's writes. The task store's
 * writes hold a per-task lock (`storage/task-locks.ts`); these tests race the real operations of
 * several workers on one task and check that every write counted once and none was lost. The first
 * test is the control: the same race through plain conditional updates, which FerretDB lets match
 * more than once, so the harness can see a double match when there is one.
 */
import { randomUUID } from 'node:crypto';
import { encodeJson } from '../../../../worker/src/domain/json-bytes';
import type { IJobRun } from '../../../../worker/src/domain/types';
import { Collections } from '../../../../worker/src/storage/collections';
import type { ITaskDoc } from '../../../../worker/src/storage/documents';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { startFerretDb } from './ferretdb';

let mongo: { url: string; stop(): Promise<void> };
let store: NbgridStore;
const CONTENDERS = 8;

beforeAll(async () => {
  mongo = await startFerretDb();
  store = await NbgridStore.open(mongo.url, { dbName: `atomic_${randomUUID().slice(0, 8)}` });
});

afterAll(async () => {
  await store?.close();
  await mongo?.stop();
});

function run(taskId: string, attempt: number, status: 'OK' | 'ERROR' = 'OK'): IJobRun {
  return { status, ts: new Date().toISOString(), message: status === 'OK' ? '' : 'boom', results: null, duration: 0.1, worker: `w${attempt}`, attempt, task_id: taskId };
}

/** A fresh map of `n` tasks, their documents written. */
async function tasks(n: number) {
  const nb = await store.notebooks.put('atomic', { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] });
  const map = await store.tasks.createMap({
    job: 'atomic',
    require: 'default',
    cell_timeout: null,
    main_sha256: nb.sha256,
    params: Array.from({ length: n }, (_, i) => encodeJson(i))
  });
  await store.tasks.materialize(map.task_group);
  return map.tasks;
}

async function rawDoc(name: string): Promise<ITaskDoc> {
  return (await store.connection.db.collection<ITaskDoc>(Collections.tasks).findOne({ _id: name }))!;
}

it('control: plain conditional updates of one document match more than once under FerretDB v1', async () => {
  const coll = store.connection.db.collection<{ _id: string; n: number }>('atomicity_control');
  let maxMatched = 0;
  // A race has to happen: up to 300 rounds (it usually shows within a few; faster commits with
  // synchronous=NORMAL and a loaded machine make it rarer per round).
  for (let round = 0; round < 300 && maxMatched < 2; round++) {
    const _id = `doc-${round}`;
    await coll.insertOne({ _id, n: 0 });
    const res = await Promise.all(Array.from({ length: CONTENDERS }, () => coll.findOneAndUpdate({ _id, n: 0 }, { $set: { n: 1 } })));
    maxMatched = Math.max(maxMatched, res.filter((d) => d !== null).length);
  }
  // On a real MongoDB this is 1; if FerretDB ever makes it atomic, the lock can go.
  expect(maxMatched).toBeGreaterThan(1);
});

it(`${CONTENDERS} workers racing markStarted and recordRun on one task: one outcome, every run kept, no write lost`, async () => {
  for (const t of await tasks(5)) {
    const rev0 = (await rawDoc(t.name)).rev ?? 0;
    // Each worker marks the task started and records its own run (distinct attempts), all at once.
    const results = await Promise.all(
      Array.from({ length: CONTENDERS }, async (_, k) => {
        const started = await store.runs.markStarted(t.name, t.task_id, `w${k + 1}`);
        const recorded = await store.runs.recordRun(t.name, run(t.task_id, k + 1), null, k);
        return { started: started !== null, recorded: recorded !== null };
      })
    );
    const doc = await rawDoc(t.name);
    // Exactly one run decided the task; the others are in its history as not counted.
    expect(results.filter((r) => r.recorded)).toHaveLength(1);
    expect(doc.state).toBe('SUCCESS');
    expect(doc.runs_total).toBe(CONTENDERS);
    expect(doc.job_runs).toHaveLength(CONTENDERS);
    expect(doc.job_runs.filter((r) => r.status === 'OK')).toHaveLength(1);
    expect(new Set(doc.run_keys).size).toBe(CONTENDERS);
    // Every write that said it happened is in the revision: none overwrote another.
    const writes = results.filter((r) => r.started).length + CONTENDERS;
    expect((doc.rev ?? 0) - rev0).toBe(writes);
  }
});

it(`${CONTENDERS} deliveries of the same run recorded at once count once`, async () => {
  const [t] = await tasks(1);
  await store.runs.markStarted(t.name, t.task_id, 'w1');
  const results = await Promise.all(Array.from({ length: CONTENDERS }, () => store.runs.recordRun(t.name, run(t.task_id, 1), null, 'v')));
  expect(results.filter((r) => r !== null)).toHaveLength(1);
  const doc = await rawDoc(t.name);
  expect(doc.runs_total).toBe(1);
  expect(doc.job_runs).toHaveLength(1);
  expect(doc.state).toBe('SUCCESS');
});

it('a lock left by a writer that died is taken over after its time to live; a held one makes writers wait', async () => {
  const [t] = await tasks(1);
  const locks = store.connection.db.collection<{ _id: string; at: Date }>(Collections.taskLocks);
  await locks.insertOne({ _id: t.name, at: new Date(Date.now() - 10 * 60 * 1000) });
  expect(await store.runs.markStarted(t.name, t.task_id, 'w1')).not.toBeNull();
  expect(await locks.countDocuments({ _id: t.name })).toBe(0);

  await locks.insertOne({ _id: t.name, at: new Date() });
  let done = false;
  const pending = store.runs.recordRun(t.name, run(t.task_id, 1), null, 1).then((r) => {
    done = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 300));
  expect(done).toBe(false);
  await locks.deleteOne({ _id: t.name });
  expect(await pending).not.toBeNull();
});
