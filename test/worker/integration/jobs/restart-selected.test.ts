/**
 * Restart and cancel of named tasks, omega|ml's restart of tasks whose result notebook was
 * deleted, and map()'s refusal of papermill variables no Python literal holds: against a real
 * FerretDB (the queue is recorded; it is tested in celery/).
 */
import { randomUUID } from 'node:crypto';
import { InvalidInputError, NotFoundError } from '../../../../worker/src/domain/errors';
import type { ITaskEvent, ITaskPublisher } from '../../../../worker/src/domain/ports';
import { JsonText } from '../../../../worker/src/domain/json-bytes';
import type { IJobRun, JsonValue } from '../../../../worker/src/domain/types';
import { JobService } from '../../../../worker/src/jobs/job-service';
import { Collections } from '../../../../worker/src/storage/collections';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { startFerretDb } from '../storage/ferretdb';

jest.setTimeout(120000);

type Published = { taskId: string; queue: string; kwargs: Record<string, JsonValue> };

class RecordingPublisher implements ITaskPublisher {
  published: Published[][] = [];
  revoked: string[][] = [];
  async publishMany(messages: Published[]): Promise<void> {
    this.published.push(messages);
  }
  async revoke(taskIds: string[]): Promise<void> {
    this.revoked.push(taskIds);
  }
}

let mongo: { url: string; stop(): Promise<void> };
let store: NbgridStore;
let publisher: RecordingPublisher;
let events: ITaskEvent[];
let svc: JobService;

const notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
  cells: [{ id: 'a', cell_type: 'code', metadata: { tags: ['parameters'] }, source: 'alpha = 0', outputs: [], execution_count: null }]
};

function run(taskId: string, status: 'OK' | 'ERROR', attempt = 1): IJobRun {
  return { status, ts: new Date().toISOString(), message: '', results: null, duration: 0.1, worker: 'nbgrid@w', attempt, task_id: taskId };
}

beforeAll(async () => {
  mongo = await startFerretDb();
  store = await NbgridStore.open(mongo.url, { dbName: `sel_${randomUUID().slice(0, 8)}` });
});

beforeEach(() => {
  publisher = new RecordingPublisher();
  events = [];
  svc = new JobService({ store, publisher, liveWorkers: async () => [], emit: (e) => events.push(e) });
});

afterAll(async () => {
  await store?.close();
  await mongo?.stop();
});

/** A map of `n` whose tasks all ran OK, each with its result notebook. */
async function finishedMap(job: string, n: number) {
  await svc.putNotebook(job, notebook);
  const m = await svc.map(job, { params: Array.from({ length: n }, (_, i) => i) });
  for (const t of m.tasks) await store.runs.recordRun(t.name, run(t.task_id, 'OK'), notebook, 1);
  publisher.published = [];
  publisher.revoked = [];
  events = [];
  return m;
}

describe('restart() as omega|ml documents it', () => {
  it('re-runs exactly the task whose result notebook was deleted and names the others as having results', async () => {
    const m = await finishedMap('walk', 4);
    const rows = await svc.status('walk');
    expect(rows.every((r) => r.status === 'SUCCESS' && typeof r.results === 'string')).toBe(true);
    await svc.deleteNotebook(rows[2].results!);

    const r = await svc.restart('walk', {});
    expect(r.restarted.map((t) => t.name)).toEqual([m.tasks[2].name]);
    expect(r.with_results).toEqual([m.tasks[0].name, m.tasks[1].name, m.tasks[3].name]);
    expect(publisher.published.flat().map((p) => p.taskId)).toEqual([r.restarted[0].task_id]);
    const after = await svc.status('walk');
    expect(after.map((x) => x.status)).toEqual(['SUCCESS', 'SUCCESS', 'PENDING', 'SUCCESS']);

    // a second restart: the re-queued task has no OK run (queued again, as restart() does for
    // any such task); the others still have their results
    const again = await svc.restart('walk', {});
    expect(again.with_results).toEqual([m.tasks[0].name, m.tasks[1].name, m.tasks[3].name]);

    // reset re-runs all, and says nothing about results
    const all = await svc.restart('walk', { reset: true });
    expect(all.restarted).toHaveLength(4);
    expect(all.with_results).toBeUndefined();
  });
});

describe('restart and cancel of named tasks', () => {
  it('restarts exactly the named tasks whatever their state, by name or job_id', async () => {
    const m = await finishedMap('one', 5);
    const r = await svc.restart('one', { tasks: [`${m.tasks[1].name}.ipynb`, '3'] });
    expect(r.task_group).toBe(m.task_group);
    expect(r.restarted.map((t) => t.name)).toEqual([m.tasks[1].name, m.tasks[3].name]);
    expect(publisher.published.flat().map((p) => [p.taskId, p.kwargs.attempt])).toEqual(r.restarted.map((t) => [t.task_id, 2]));
    expect(publisher.revoked).toEqual([]); // they were finished: nothing to revoke
    expect((await svc.status('one')).map((x) => x.status)).toEqual(['SUCCESS', 'PENDING', 'SUCCESS', 'PENDING', 'SUCCESS']);
    expect(events.map((e) => [e.name, e.status])).toEqual([
      [m.tasks[1].name, 'PENDING'],
      [m.tasks[3].name, 'PENDING']
    ]);

    // restarting a queued one revokes the queued copy
    const again = await svc.restart('one', { tasks: ['1'] });
    expect(publisher.revoked).toEqual([[r.restarted[0].task_id]]);
    expect(again.restarted[0].task_id).not.toBe(r.restarted[0].task_id);
  });

  it('cancels only the named tasks that are queued or running', async () => {
    await svc.putNotebook('cn', notebook);
    const m = await svc.map('cn', { params: [1, 2, 3, 4] });
    await store.runs.markStarted(m.tasks[1].name, m.tasks[1].task_id, 'nbgrid@w');
    await store.runs.recordRun(m.tasks[2].name, run(m.tasks[2].task_id, 'OK'), null, 3);
    events = [];
    const c = await svc.cancel('cn', { tasks: [m.tasks[1].name, m.tasks[2].name, '3'] });
    expect(c).toEqual({ task_group: m.task_group, revoked: 2 });
    expect(publisher.revoked).toEqual([[m.tasks[1].task_id, m.tasks[3].task_id]]);
    expect((await svc.status('cn')).map((r) => r.status)).toEqual(['PENDING', 'REVOKED', 'SUCCESS', 'REVOKED']);
    expect(events.map((e) => e.status)).toEqual(['REVOKED', 'REVOKED']);
  });

  it('refuses names of another job, of two groups, and tasks that do not exist, changing nothing', async () => {
    const a = await finishedMap('ga', 2);
    const b = await svc.map('ga', { params: [1] });
    await expect(svc.restart('ga', { tasks: ['tasks/other/0a1b2c3d-0'] })).rejects.toThrow(InvalidInputError);
    await expect(svc.restart('ga', { tasks: [a.tasks[0].name, b.tasks[0].name] })).rejects.toThrow(/one task group per call/);
    await expect(svc.cancel('ga', { tasks: ['7'] })).rejects.toThrow(NotFoundError);
    await expect(svc.restart('ga', { tasks: [a.tasks[0].name], task_group: b.task_group })).rejects.toThrow(/not of task_group/);
    expect(publisher.published).toHaveLength(1); // only the map of b
    expect((await svc.status('ga', a.task_group)).map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS']);
  });
});

describe('map() and papermill variables', () => {
  it('refuses a value no Python literal holds exactly, naming the parameter, and stores nothing', async () => {
    await svc.putNotebook('pv', notebook);
    const before = await store.connection.db.collection(Collections.taskGroups).countDocuments();
    let deep: JsonValue = 1;
    for (let i = 0; i < 250; i++) deep = [deep];
    await expect(svc.map('pv', { params: [{ alpha: 1 }, { alpha: 2, deep }] })).rejects.toThrow(/params\[1\]\["deep"\].*200 levels/);
    expect(await store.connection.db.collection(Collections.taskGroups).countDocuments()).toBe(before);
    // the same value under a key that is no identifier stays in job['param'] only: accepted
    const ok = await svc.map('pv', { params: [{ alpha: 1, 'deep-list': deep }] });
    expect(ok.count).toBe(1);
  });

  it('checks the texts as sent (the REST path), and names the parameter of an int Python cannot read', async () => {
    const big = `{"alpha": 1.0, "n": ${'7'.repeat(4301)}}`;
    await expect(svc.map('pv', { params: [0, 0] }, [new JsonText('{"alpha": 0.5}'), new JsonText(big)])).rejects.toThrow(/params\[1\]\["n"\] is an integer of 4301 digits/);
    const m = await svc.map('pv', { params: [0] }, [new JsonText('{"alpha": 1.0, "n": 10}')]);
    const task = await svc.getNotebook(`${m.tasks[0].name}.ipynb`);
    const injected = (task.content as { cells: { source: string; metadata: { tags?: string[] } }[] }).cells.find((c) => c.metadata.tags?.includes('injected-parameters'))!;
    expect(injected.source.split('\n').slice(2)).toEqual(['alpha = 1.0', 'n = 10', '']);
  });
});
