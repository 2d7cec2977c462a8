/**
 * Every task ends, on the real stack (Redis, FerretDB, Kernel Gateway, API service, a worker):
 * failures around a run end the task FAILURE / ERROR with a message saying what to do, and the
 * reconciler repairs tasks whose message is gone, so `job.wait()` returns.
 *
 * Tasks meant to stay queued go to labels no worker serves (`parked-*`); a test moves a message
 * to the served `default` queue when a worker should get it, after changing what it will find.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import Redis from 'ioredis';
import { Binary, MongoClient, type Db } from 'mongodb';
import { CeleryKeys } from '../../../../worker/src/celery/keys';
import type { IWorkerInfo } from '../../../../worker/src/domain/ports';
import { RedisQueueInspector } from '../../../../worker/src/queue/queue-inspector';
import { TaskReconciler } from '../../../../worker/src/runtime/task-reconciler';
import type { IRunningStack } from '../../../../worker/src/stack';
import { Collections } from '../../../../worker/src/storage/collections';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { StatusIndex } from '../../../../worker/src/storage/status-index';
import type { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { usePrivateStack } from '../../support/private-stack';

const ROOT = path.resolve(__dirname, '../../../..');
const keys = new CeleryKeys();

let stack: IRunningStack;
let api: TestApi;
let redis: Redis;
let mongo: MongoClient;
let db: Db;
let store: NbgridStore;

usePrivateStack('nbgrid-lifecycle-', { workers: 1, beforeStop: async () => {
  redis?.disconnect();
  await mongo?.close();
  await store?.close();
} }, async (s) => {
  ({ stack, api } = s);
  redis = new Redis(stack.info.redis_url);
  mongo = await MongoClient.connect(stack.info.mongo_url);
  db = mongo.db('nbgrid');
  // With the status index, as the service has it: a repair must reach the status rows in Redis.
  store = await NbgridStore.open(stack.info.mongo_url, { dbName: 'nbgrid', statusIndex: new StatusIndex(redis) });
});

const echo = notebook([PARAM_CELL, "job['result'] = job['param']"]);

/** A reconciler of the test's own, looking at everything at once (the service's waits 2 minutes). */
function reconciler(live: string[] = []): TaskReconciler {
  const workers: IWorkerInfo[] = live.map((hostname) => ({ hostname, labels: [], concurrency: 1, active: 1, processed: 0, last_seen: new Date().toISOString() }));
  return new TaskReconciler({ store: store.stuck, queue: new RedisQueueInspector(redis), liveWorkers: async () => workers, minAgeMs: 0, recheckMs: 200 });
}

/** Waits until the task document exists (the service writes a map's documents after queueing). */
async function taskDoc(name: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const doc = await db.collection(Collections.tasks).findOne({ _id: name as never });
    if (doc) return doc as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${name} was never written`);
}

/** Change a task behind nbgrid's back (and drop its group's status rows, which would not know). */
async function setTask(name: string, set: Record<string, unknown>): Promise<void> {
  const doc = await taskDoc(name);
  await db.collection(Collections.tasks).updateOne({ _id: name as never }, { $set: set });
  await new StatusIndex(redis).drop(doc.task_group as string);
}

/** Hand the parked messages of `label` to the worker (its `default` queue). */
async function release(label: string): Promise<void> {
  while (await redis.rpoplpush(keys.queue(label), keys.queue('default'))) {
    // moved one
  }
}

async function row(job: string, group: string) {
  return (await api.status(job, group))[0];
}

describe('failures around a run end the task', () => {
  it('a non-Python main notebook that reaches a worker ends the task ERROR saying what to do', async () => {
    await api.put('shape', echo);
    await api.put('shape-r', { ...echo, metadata: { kernelspec: { name: 'ir', display_name: 'R', language: 'R' } } });
    const rSha = (await api.call<{ sha256: string }>('GET', '/api/notebooks/shape-r')).body.sha256;
    const m = await api.map('shape', { params: [1], require: 'parked-r' });
    await setTask(m.tasks[0].name, { main_sha256: rSha });
    await release('parked-r');
    const [r] = await api.waitDone('shape', m.task_group, 60000);
    expect([r.status, r.run_status]).toEqual(['FAILURE', 'ERROR']);
    expect(r.message).toContain('nbgrid could not render the task notebook');
    expect(r.message).toContain("kernel 'ir'");
    expect(r.message).toContain('restart(refresh=True)');
  });

  it('restart(refresh=True) after the main notebook became non-Python is refused up front (400)', async () => {
    await api.put('shape2', echo);
    const m = await api.map('shape2', { params: [1] });
    await api.waitDone('shape2', m.task_group);
    await api.put('shape2', { ...echo, metadata: { kernelspec: { name: 'ir', display_name: 'R', language: 'R' } } });
    const res = await api.call<{ message: string }>('POST', '/api/jobs/shape2/restart', { task_group: m.task_group, refresh: true, reset: true });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('only Python kernels are supported');
  });

  it('a parameter nested thousands of levels: 400 naming it at map; one that reaches a worker ends ERROR', async () => {
    await api.put('deep', echo);
    const deepText = `${'['.repeat(3000)}1${']'.repeat(3000)}`;
    const res = await api.call<{ message: string }>('POST', '/api/jobs/deep/map', `{"params": [0, ${deepText}]}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('params[1] is nested more than 500 levels deep');

    // Stored by an older service (or written around the API): the worker must still end it.
    const m = await api.map('deep', { params: [1], require: 'parked-deep' });
    await setTask(m.tasks[0].name, { param: new Binary(Buffer.from(deepText)) });
    await release('parked-deep');
    const [r] = await api.waitDone('deep', m.task_group, 60000);
    expect([r.status, r.run_status]).toEqual(['FAILURE', 'ERROR']);
    expect(r.message).toContain('nested more than 500 levels deep');
  });

  it('a returned value of 17 MB ends the run ERROR naming size and limit; the result notebook is kept', async () => {
    await api.put('huge', notebook([PARAM_CELL, "job['result'] = 'x' * (17 * 1024 * 1024)"]));
    const m = await api.map('huge', { params: [1] });
    const [r] = await api.waitDone('huge', m.task_group, 120000);
    expect([r.status, r.run_status]).toEqual(['FAILURE', 'ERROR']);
    expect(r.message).toContain('the returned value is 17.0 MB');
    expect(r.message).toContain('at most 6.0 MB');
    expect(r.results).toMatch(/^results\/tasks\/huge\//);
    const nb = await api.call('GET', `/api/notebooks/${r.results}`);
    expect(nb.status).toBe(200);
    const results = await api.call<{ missing: number[] }>('GET', `/api/jobs/huge/results?task_group=${m.task_group}`);
    expect(results.body.missing).toEqual([0]);
  });

  it('a notebook whose name holds U+2028 and U+2029 runs to SUCCESS', async () => {
    const job = 'line\u2028sep\u2029nb';
    await api.put(encodeURIComponent(job), echo);
    const m = await api.map(job, { params: [1, 2, 3] });
    const rows = await api.waitDone(job, m.task_group, 60000);
    expect(rows.map((x) => [x.status, x.run_status])).toEqual([1, 2, 3].map(() => ['SUCCESS', 'OK']));
  });
});

describe('reconciliation', () => {
  it('a PENDING task whose message is gone ends FAILURE/ERROR; one whose message is queued or unacked is left alone', async () => {
    await api.put('lost', echo);
    const gone = await api.map('lost', { params: [1], require: 'parked-gone' });
    const queued = await api.map('lost', { params: [2], require: 'parked-queued' });
    const held = await api.map('lost', { params: [3], require: 'parked-held' });
    for (const m of [gone, queued, held]) await taskDoc(m.tasks[0].name);
    await redis.del(keys.queue('parked-gone'));
    // A worker holding the message (running, prefetched or waiting for its eta): it is in `unacked`.
    const raw = (await redis.rpop(keys.queue('parked-held')))!;
    const tag = (JSON.parse(raw) as { properties: { delivery_tag: string } }).properties.delivery_tag;
    await redis.hset(keys.unacked, tag, `[${raw}, "", "parked-held"]`);
    try {
      const report = await reconciler().reconcileOnce();
      expect(report.repaired.map((t) => t.name)).toEqual([gone.tasks[0].name]);
      const r = await row('lost', gone.task_group);
      expect([r.status, r.run_status]).toEqual(['FAILURE', 'ERROR']);
      expect(r.message).toContain('is in no queue');
      expect(r.message).toContain('restart()');
      expect((await row('lost', queued.task_group)).status).toBe('PENDING');
      expect((await row('lost', held.task_group)).status).toBe('PENDING');
      // A second pass finds nothing more to do; restart() queues the repaired task again.
      expect((await reconciler().reconcileOnce()).repaired).toEqual([]);
      const again = await api.call<{ restarted: unknown[] }>('POST', '/api/jobs/lost/restart', { task_group: gone.task_group });
      expect(again.body.restarted).toHaveLength(1);
      expect((await row('lost', gone.task_group)).status).toBe('PENDING');
      expect(await redis.llen(keys.queue('parked-gone'))).toBe(1);
    } finally {
      // The "worker" gives the message back, as on shutdown: the task stays queued, not lost.
      await redis.hdel(keys.unacked, tag);
      await redis.lpush(keys.queue('parked-held'), raw);
    }
  });

  it('a STARTED task whose worker is gone and whose message is not unacked ends FAILURE/ERROR naming the worker', async () => {
    await api.put('ghost', echo);
    const dead = await api.map('ghost', { params: [1], require: 'parked-ghost' });
    const alive = await api.map('ghost', { params: [2], require: 'parked-ghost2' });
    const reported = await api.map('ghost', { params: [3], require: 'parked-ghost3' });
    for (const m of [dead, alive, reported]) await setTask(m.tasks[0].name, { state: 'STARTED', worker: 'nbgrid-7@gone-host' });
    await setTask(alive.tasks[0].name, { worker: 'nbgrid-8@alive-host' });
    await setTask(reported.tasks[0].name, { worker: 'nbgrid-8@alive-host' });
    for (const label of ['parked-ghost', 'parked-ghost2', 'parked-ghost3']) await redis.del(keys.queue(label));
    // The live worker did finish the third and said so in Celery's result (but MongoDB missed it).
    await redis.set(
      CeleryKeys.taskMeta(reported.tasks[0].task_id),
      JSON.stringify({ status: 'FAILURE', result: { exc_type: 'RuntimeError', exc_message: ['recording failed'], exc_module: 'builtins' }, traceback: '', task_id: reported.tasks[0].task_id })
    );
    const report = await reconciler(['nbgrid-8@alive-host']).reconcileOnce();
    const ours = report.repaired.map((t) => t.name).filter((n) => n.startsWith('tasks/ghost/'));
    expect(ours.sort()).toEqual([dead.tasks[0].name, reported.tasks[0].name].sort());
    const d = await row('ghost', dead.task_group);
    expect([d.status, d.run_status]).toEqual(['FAILURE', 'ERROR']);
    expect(d.message).toContain('nbgrid-7@gone-host, which stopped sending heartbeats');
    expect(d.message).toContain('restart()');
    expect((await row('ghost', alive.task_group)).status).toBe('STARTED');
    expect((await row('ghost', reported.task_group)).message).toContain('reported FAILURE: RuntimeError: recording failed');
  });

  it('a task that changed after it was found stuck is not repaired, and recent tasks are not examined', async () => {
    await api.put('racy', echo);
    const m = await api.map('racy', { params: [1], require: 'parked-racy' });
    const doc = await taskDoc(m.tasks[0].name);
    await redis.del(keys.queue('parked-racy'));
    // A worker got to it between the look and the repair: the repair is conditional on the state seen.
    const seen = { name: m.tasks[0].name, task_id: m.tasks[0].task_id, state: 'PENDING' as const, updated: doc.updated as string };
    await store.runs.markStarted(m.tasks[0].name, m.tasks[0].task_id, 'nbgrid-1@busy');
    const run = { status: 'ERROR' as const, ts: new Date().toISOString(), message: 'lost', results: null, duration: 0, worker: 'x', attempt: 1, task_id: m.tasks[0].task_id };
    expect(await store.stuck.failStuck(seen, run)).toBeNull();
    expect((await row('racy', m.task_group)).status).toBe('STARTED');
    // With the default age threshold a task changed just now is not even looked at.
    const patient = new TaskReconciler({ store: store.stuck, queue: new RedisQueueInspector(redis), liveWorkers: async () => [] });
    expect((await patient.reconcileOnce()).repaired).toEqual([]);
    expect((await row('racy', m.task_group)).status).toBe('STARTED');
  });

  it('a pass examines at most `batch` tasks and the next goes on where it stopped', async () => {
    await api.put('many', echo);
    // Older queued tasks of earlier tests come first; these two lost ones are behind them.
    const lost = [await api.map('many', { params: [1], require: 'parked-many' }), await api.map('many', { params: [2], require: 'parked-many' })];
    for (const m of lost) await taskDoc(m.tasks[0].name);
    await redis.del(keys.queue('parked-many'));
    const names = lost.map((m) => m.tasks[0].name);
    const small = new TaskReconciler({ store: store.stuck, queue: new RedisQueueInspector(redis), liveWorkers: async () => [], minAgeMs: 0, recheckMs: 50, batch: 1 });
    const repaired: string[] = [];
    for (let pass = 0; pass < 40 && !names.every((n) => repaired.includes(n)); pass++) {
      const report = await small.reconcileOnce();
      expect(report.examined).toBeLessThanOrEqual(1);
      repaired.push(...report.repaired.map((t) => t.name));
    }
    expect(repaired.filter((n) => n.startsWith('tasks/many/')).sort()).toEqual([...names].sort());
  });

  it("the Python client's job.wait() returns once a lost task is repaired", async () => {
    await api.put('waiting', echo);
    const m = await api.map('waiting', { params: [1], require: 'parked-wait' });
    await taskDoc(m.tasks[0].name);
    const code = [
      'from nbgrid.client import Om',
      'import os',
      "rows = Om(url=os.environ['T_URL'], token=os.environ['T_TOKEN']).runtime.job('waiting').wait(task_group=os.environ['T_GROUP'], progress=False, poll=0.3, as_frame=False)",
      "print('DONE', [(r['status'], r['run_status']) for r in rows])"
    ].join('\n');
    const py = spawn(path.join(ROOT, '.venv/bin/python'), ['-c', code], {
      env: { ...process.env, PYTHONPATH: ROOT, T_URL: stack.info.api_url, T_TOKEN: stack.info.token, T_GROUP: m.task_group },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let out = '';
    py.stdout.on('data', (d: Buffer) => (out += d.toString()));
    py.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => py.on('exit', (c) => resolve(c)));
    try {
      await new Promise((r) => setTimeout(r, 3000));
      expect(py.exitCode).toBeNull(); // still waiting: the task is PENDING
      await redis.del(keys.queue('parked-wait'));
      expect((await reconciler().reconcileOnce()).repaired.map((t) => t.name)).toContain(m.tasks[0].name);
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 20000))]);
      expect({ code, out }).toEqual({ code: 0, out: expect.stringContaining("DONE [('FAILURE', 'ERROR')]") });
    } finally {
      py.kill();
    }
  });
});
