/**
 * A map whose cached tasks returned more than the group document can hold (FerretDB v1 on SQLite,
 * the local default): the values go to one blob beside the group (a group document holding them
 * failed at 16 MB with a 500), and a submission cut short after the group was stored (the service
 * died before it wrote the task documents) still leaves every cached task SUCCESS / OK with its
 * value byte for byte, whichever reader creates it first: one task on its own, or the whole group.
 * The blob is kept by the clean-up while the group references it and goes once the group is gone.
 */
import { randomUUID } from 'node:crypto';
import { JsonText } from '../../../../worker/src/domain/json-bytes';
import type { ICachedTask } from '../../../../worker/src/domain/task-cache';
import { BlobCollector } from '../../../../worker/src/retention/blob-collector';
import { INLINE_CACHED_RESULTS_LIMIT } from '../../../../worker/src/storage/cached-tasks';
import { Collections } from '../../../../worker/src/storage/collections';
import type { ITaskGroupDoc } from '../../../../worker/src/storage/documents';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { startFerretDb } from '../storage/ferretdb';

let mongo: { url: string; stop(): Promise<void> };
const stores: NbgridStore[] = [];
const dbName = `cacheblob_${randomUUID().slice(0, 8)}`;

/** A store as a new process opens it (nothing remembered from another one). */
async function freshStore(): Promise<NbgridStore> {
  const s = await NbgridStore.open(mongo.url, { dbName });
  stores.push(s);
  return s;
}

beforeAll(async () => {
  mongo = await startFerretDb();
}, 120000);

afterAll(async () => {
  for (const s of stores) await s.close();
  await mongo?.stop();
});

const N = 40;
/** Every even task is cached, each with a returned value of ~120 KB: 2.4 MB in all, exact text kept. */
const cachedIds = Array.from({ length: N / 2 }, (_, i) => i * 2);
const valueOf = (i: number): string => `{"i": ${i}, "x": 1.50, "pad": "${String(i % 10).repeat(120_000)}"}`;

function cachedTasks(): ICachedTask[] {
  return cachedIds.map((i) => ({
    job_id: i,
    param: Buffer.from(String(i)),
    entry: { key: `key-${i}`, task: `tasks/big/0000000a-${i}`, results: `results/tasks/big/0000000a-${i}.ipynb_t.ipynb`, result: Buffer.from(valueOf(i)) }
  }));
}

describe('cached tasks whose values are large', () => {
  let group = '';

  it('stores the values in one blob beside a small group document', async () => {
    const store = await freshStore();
    const main = await store.notebooks.put('big', notebook([PARAM_CELL, "job['result'] = job['param']"]));
    expect(cachedIds.length * 120_000).toBeGreaterThan(INLINE_CACHED_RESULTS_LIMIT);
    // createMap without materialize: the service that submitted it died before writing the tasks
    const stored = await store.tasks.createMap({
      job: 'big',
      require: 'default',
      cell_timeout: null,
      main_sha256: main.sha256,
      params: Array.from({ length: N }, (_, i) => Buffer.from(String(i))),
      cached: cachedTasks()
    });
    group = stored.task_group;
    expect(stored.tasks.map((t) => t.state)).toEqual(Array.from({ length: N }, (_, i) => (i % 2 === 0 ? 'SUCCESS' : 'PENDING')));
    const doc = (await store.connection.db.collection<ITaskGroupDoc>(Collections.taskGroups).findOne({ _id: group })) as ITaskGroupDoc;
    expect(doc.materialized).toBe(false);
    expect(doc.cached_results_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.cached_tasks?.length() ?? Infinity).toBeLessThan(10_000);
    expect(await store.blobs.get(doc.cached_results_sha256 as string)).toBeInstanceOf(Buffer);
  });

  it('creates a single cached task from the group, with its value, in a new process', async () => {
    const store = await freshStore();
    const { task } = await store.tasks.renderTask(`tasks/big/${group}-4`);
    expect([task.state, task.run_status, task.cached_from]).toEqual(['SUCCESS', 'OK', 'tasks/big/0000000a-4']);
    expect(task.job_runs[0].results).toBe(`results/tasks/big/0000000a-4.ipynb_t.ipynb`);
    // a queued task is created without the values (what a worker does when it picks one up)
    const queued = await store.tasks.renderTask(`tasks/big/${group}-5`);
    expect([queued.task.state, queued.task.cached_from]).toEqual(['PENDING', undefined]);
  });

  it('creates every task of the group with each value byte for byte', async () => {
    const store = await freshStore();
    const tasks = await store.tasks.listExact('big', group);
    expect(tasks).toHaveLength(N);
    for (const t of tasks) {
      if (t.task.job_id % 2 === 0) {
        expect([t.task.state, t.task.run_status, t.task.worker, t.task.cached_from]).toEqual(['SUCCESS', 'OK', 'cache', `tasks/big/0000000a-${t.task.job_id}`]);
        expect((t.result as JsonText).text).toBe(valueOf(t.task.job_id));
      } else {
        expect([t.task.state, t.result]).toEqual(['PENDING', undefined]);
      }
    }
    const rows = await store.tasks.statusRows('big', group);
    expect(rows.filter((r) => r.status === 'SUCCESS' && r.cached_from)).toHaveLength(N / 2);
  });

  it('keeps the blob while the group lives, and lets the clean-up take it after', async () => {
    const store = await freshStore();
    const doc = (await store.connection.db.collection<ITaskGroupDoc>(Collections.taskGroups).findOne({ _id: group })) as ITaskGroupDoc;
    const sha = doc.cached_results_sha256 as string;
    const collector = new BlobCollector(store.connection, 0);
    await collector.sweep();
    expect(await store.blobs.get(sha)).toBeInstanceOf(Buffer);
    await store.tasks.deleteGroup(group);
    await collector.sweep();
    await expect(store.blobs.get(sha)).rejects.toThrow(/not stored/);
  });
});
