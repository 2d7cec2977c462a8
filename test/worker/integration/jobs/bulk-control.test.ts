/**
 * Issue 15: cancel and restart of a group of thousands of tasks on the local default MongoDB
 * (FerretDB v1 on SQLite), checking every task's state afterwards, with workers' per-task writes
 * racing the bulk writes. Timing is measured by `make bench --only bulk`, not here.
 */
import { randomUUID } from 'node:crypto';
import type { ITaskEvent, ITaskPublisher } from '../../../../worker/src/domain/ports';
import type { IJobRun } from '../../../../worker/src/domain/types';
import { JobService } from '../../../../worker/src/jobs/job-service';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { startFerretDb } from '../storage/ferretdb';

const N = 3000;

class RecordingPublisher implements ITaskPublisher {
  published: string[] = [];
  revoked: string[] = [];
  async publishMany(messages: { taskId: string }[]): Promise<void> {
    this.published.push(...messages.map((m) => m.taskId));
  }
  async revoke(taskIds: string[]): Promise<void> {
    this.revoked.push(...taskIds);
  }
}

function run(taskId: string, status: 'OK' | 'ERROR'): IJobRun {
  return { status, ts: new Date().toISOString(), message: status === 'OK' ? '' : 'ValueError: no', results: null, duration: 0.1, worker: 'nbgrid@w', attempt: 1, task_id: taskId };
}

let mongo: { url: string; stop(): Promise<void> };
let store: NbgridStore;

beforeAll(async () => {
  mongo = await startFerretDb();
  store = await NbgridStore.open(mongo.url, { dbName: `bulk_${randomUUID().slice(0, 8)}` });
});

afterAll(async () => {
  await store?.close();
  await mongo?.stop();
});

it(`cancels, restarts and resets a group of ${N} tasks: every task ends as it must, racing workers included`, async () => {
  const publisher = new RecordingPublisher();
  const events: ITaskEvent[] = [];
  const svc = new JobService({ store, publisher, liveWorkers: async () => [], emit: (e) => events.push(e) });
  await svc.putNotebook('bulk', notebook([PARAM_CELL, "job['result'] = job['param']"]));
  const m = await svc.map('bulk', { params: Array.from({ length: N }, (_, i) => i) });
  const t = m.tasks;
  // Before the cancel: every 10th task finished OK, every 10th+1 failed, every 10th+2 is running.
  for (let i = 0; i < N; i += 10) {
    await store.runs.recordRun(t[i].name, run(t[i].task_id, 'OK'), null, i);
    await store.runs.recordRun(t[i + 1].name, run(t[i + 1].task_id, 'ERROR'), null, undefined);
    await store.runs.markStarted(t[i + 2].name, t[i + 2].task_id, 'nbgrid@w');
  }
  // While the cancel runs, the running tasks finish OK one after another through their per-task
  // locks, spread over the cancel's chunks: each either finishes first (SUCCESS, not revoked) or
  // is revoked first (REVOKED, its late run counted in the history only). Never both, never lost.
  const racing = t.filter((_, i) => i % 10 === 2);
  const finishing = (async () => {
    for (const x of racing) await store.runs.recordRun(x.name, run(x.task_id, 'OK'), null, 'late');
  })();
  const [c] = await Promise.all([svc.cancel('bulk', {}), finishing]);
  let tasks = await svc.tasks('bulk');
  expect(tasks).toHaveLength(N);
  const revokedIds = new Set(publisher.revoked);
  const isRacing = new Set(racing.map((x) => x.name));
  tasks.forEach((x, i) => {
    if (i % 10 === 0) expect(x.state).toBe('SUCCESS');
    else if (i % 10 === 1) expect(x.state).toBe('FAILURE');
    else if (isRacing.has(x.name)) expect(['SUCCESS', 'REVOKED']).toContain(x.state);
    else expect(x.state).toBe('REVOKED');
    // A bulk write that undid a run's write (or the reverse) would leave these apart.
    expect(x.run_status === 'OK').toBe(x.state === 'SUCCESS');
    // Revoked in Redis exactly when stored REVOKED by the cancel.
    expect(revokedIds.has(x.task_id)).toBe(x.state === 'REVOKED');
  });
  expect(c.revoked).toBe(tasks.filter((x) => x.state === 'REVOKED').length);
  expect(c.revoked).toBe(revokedIds.size);
  expect(events.filter((e) => e.status === 'REVOKED')).toHaveLength(c.revoked);

  // restart: every task without an OK run gets a new id; the OK ones are kept.
  const before = new Map(tasks.map((x) => [x.name, x]));
  const r = await svc.restart('bulk', {});
  tasks = await svc.tasks('bulk');
  const restarted = new Map(r.restarted.map((x) => [x.name, x.task_id]));
  for (const x of tasks) {
    const prev = before.get(x.name)!;
    if (prev.run_status === 'OK') {
      expect(restarted.has(x.name)).toBe(false);
      expect(x).toMatchObject({ task_id: prev.task_id, state: 'SUCCESS' });
    } else {
      expect(x).toMatchObject({ task_id: restarted.get(x.name), state: 'PENDING', run_status: 'unknown' });
    }
  }
  expect(new Set(publisher.published.slice(-r.restarted.length))).toEqual(new Set(restarted.values()));
  expect((await svc.status('bulk')).filter((row) => row.status === 'PENDING')).toHaveLength(r.restarted.length);

  // reset: every task, the OK ones included; the queued ones' old ids are revoked first.
  publisher.revoked = [];
  const z = await svc.restart('bulk', { reset: true });
  expect(z.restarted).toHaveLength(N);
  expect(new Set(publisher.revoked)).toEqual(new Set(restarted.values()));
  tasks = await svc.tasks('bulk');
  const reset = new Map(z.restarted.map((x) => [x.name, x.task_id]));
  for (const x of tasks) expect(x).toMatchObject({ task_id: reset.get(x.name), state: 'PENDING', run_status: 'unknown' });
  expect((await svc.status('bulk')).every((row) => row.status === 'PENDING')).toBe(true);
}, 600000);
