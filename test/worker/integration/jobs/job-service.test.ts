import { randomUUID } from 'node:crypto';
import { InvalidInputError, NotFoundError } from '../../../../worker/src/domain/errors';
import type { ITaskEvent, ITaskPublisher, IWorkerInfo } from '../../../../worker/src/domain/ports';
import type { IJobRun, JsonValue } from '../../../../worker/src/domain/types';
import { JobService } from '../../../../worker/src/jobs/job-service';
import { Collections } from '../../../../worker/src/storage/collections';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { startFerretDb } from '../storage/ferretdb';

type Published = { taskId: string; queue: string; kwargs: Record<string, JsonValue> };

/** Records what the job service asks of the queue (the queue itself is tested in celery/). */
class RecordingPublisher implements ITaskPublisher {
  published: Published[][] = [];
  revoked: { ids: string[]; terminate?: boolean }[] = [];
  failNext = false;
  async publishMany(messages: Published[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('redis is down');
    }
    this.published.push(messages);
  }
  async revoke(taskIds: string[], options?: { terminate?: boolean }): Promise<void> {
    this.revoked.push({ ids: taskIds, terminate: options?.terminate });
  }
}

let mongo: { url: string; stop(): Promise<void> };
let store: NbgridStore;
let publisher: RecordingPublisher;
let events: ITaskEvent[];
let workers: IWorkerInfo[];
let svc: JobService;

function notebook(marker = 'v1', kernel = { name: 'python3', display_name: 'Python 3', language: 'python' }) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: kernel },
    cells: [
      { id: 'a', cell_type: 'code', metadata: { tags: ['parameters'] }, source: "job = globals().get('job', {'param': 9})", outputs: [], execution_count: null },
      { id: 'b', cell_type: 'code', metadata: {}, source: `print('${marker}', job['param'])`, outputs: [], execution_count: null }
    ]
  };
}

function run(taskId: string, status: 'OK' | 'ERROR', attempt = 1): IJobRun {
  return { status, ts: new Date().toISOString(), message: status === 'OK' ? '' : 'ValueError: no', results: null, duration: 0.5, worker: 'nbgrid@w', attempt, task_id: taskId };
}

async function counts() {
  const db = store.connection.db;
  return {
    notebooks: await db.collection(Collections.notebooks).countDocuments(),
    blobs: await db.collection(Collections.blobs).countDocuments(),
    groups: await db.collection(Collections.taskGroups).countDocuments(),
    tasks: await db.collection(Collections.tasks).countDocuments()
  };
}

beforeAll(async () => {
  mongo = await startFerretDb();
  store = await NbgridStore.open(mongo.url, { dbName: `jobs_${randomUUID().slice(0, 8)}` });
});

beforeEach(() => {
  publisher = new RecordingPublisher();
  events = [];
  workers = [];
  svc = new JobService({ store, publisher, liveWorkers: async () => workers, emit: (e) => events.push(e) });
});

afterAll(async () => {
  await store?.close();
  await mongo?.stop();
});

describe('JobService', () => {
  it('maps a notebook: tasks stored, messages published in one call, warning without workers', async () => {
    await svc.putNotebook('main', notebook());
    const params: JsonValue[] = ['a', [1, [2, [3]]], { 'x.y': 'nul\u0000' }, null];
    const res = await svc.map('main', { params });
    expect(res).toMatchObject({ job: 'main', count: 4, require: 'default' });
    expect(res.task_group).toMatch(/^[0-9a-f]{8}$/);
    expect(res.tasks.map((t) => t.name)).toEqual([0, 1, 2, 3].map((i) => `tasks/main/${res.task_group}-${i}`));
    expect(res.warnings).toHaveLength(1);
    expect(res.warnings[0]).toMatch(/no live worker serves label 'default'/);

    expect(publisher.published).toHaveLength(1);
    expect(publisher.published[0]).toEqual(
      res.tasks.map((t) => ({ taskId: t.task_id, queue: 'default', kwargs: { task_name: t.name, task_group: res.task_group, attempt: 1 } }))
    );
    expect(events.map((e) => [e.name, e.status])).toEqual(res.tasks.map((t) => [t.name, 'PENDING']));

    const rows = await svc.status('main');
    expect(rows.map((r) => [r.job_id, r.task_id, r.status, r.run_status])).toEqual(res.tasks.map((t, i) => [i, t.task_id, 'PENDING', 'unknown']));
    const tasks = await svc.tasks('main', res.task_group);
    expect(tasks.map((t) => t.param)).toEqual(params);

    const rendered = await svc.getNotebook(`tasks/main/${res.task_group}-2.ipynb`);
    const cells = (rendered.content as { cells: { source: string }[] }).cells;
    // job = json.loads('...') (issue 14): the JSON text in a Python string literal, its backslashes doubled
    expect(cells[1].source).toContain(`"param": {"x.y":"nul\\\\u0000"}, "job_id": 2, "task_group": "${res.task_group}"`);
    expect(rendered.name).toBe(`tasks/main/${res.task_group}-2.ipynb`);
  });

  it('routes to the require label and does not warn when a live worker serves it', async () => {
    workers = [{ hostname: 'nbgrid@gpu1', labels: ['gpu'], concurrency: 2, active: 0, processed: 0, last_seen: new Date().toISOString() }];
    await svc.putNotebook('main', notebook());
    const res = await svc.map('main', { params: [1, 2], require: 'gpu', cell_timeout: 30 });
    expect(res.warnings).toEqual([]);
    expect(publisher.published[0].map((m) => m.queue)).toEqual(['gpu', 'gpu']);
    expect((await svc.tasks('main')).map((t) => [t.require, t.cell_timeout])).toEqual([['gpu', 30], ['gpu', 30]]);
  });

  it('stores the main notebook once for a 1,000-task map', async () => {
    const big = notebook('big');
    (big.cells[1] as { source: string }).source = `# ${'x'.repeat(200_000)}`;
    await svc.putNotebook('bulk', big);
    const before = await counts();
    const res = await svc.map('bulk', { params: Array.from({ length: 1000 }, (_, i) => i) });
    // The map itself wrote one group document holding all parameters; task documents follow.
    const accepted = await counts();
    expect(accepted.groups - before.groups).toBe(1);
    await svc.settled();
    const after = await counts();
    expect(res.count).toBe(1000);
    expect(after.blobs).toBe(before.blobs); // the main notebook was not stored again
    expect(after.tasks - before.tasks).toBe(1000);
    expect(after.groups - before.groups).toBe(1);
    expect(publisher.published).toHaveLength(1);
    expect(publisher.published[0]).toHaveLength(1000);
    const last = await svc.getNotebook(`tasks/bulk/${res.task_group}-999.ipynb`);
    expect(JSON.stringify(last.content)).toContain('\\"param\\": 999, \\"job_id\\": 999');
  });

  it('restarts only tasks without an OK run, reset restarts all, refresh re-points to the current notebook', async () => {
    await svc.putNotebook('rs', notebook('v1'));
    const m = await svc.map('rs', { params: [10, 11, 12, 13] });
    const [t0, t1, , t3] = m.tasks;
    await store.runs.recordRun(t0.name, run(t0.task_id, 'OK'), null, 100);
    await store.runs.recordRun(t1.name, run(t1.task_id, 'ERROR'), null, undefined);
    await store.runs.recordRun(t3.name, run(t3.task_id, 'OK'), null, 103);
    publisher.published = [];

    const r = await svc.restart('rs', {});
    expect(r.task_group).toBe(m.task_group);
    expect(r.restarted.map((t) => t.name)).toEqual([m.tasks[1].name, m.tasks[2].name]);
    expect(r.restarted.map((t) => t.task_id)).not.toContain(m.tasks[1].task_id);
    // task 2 was still queued under its old id: that message is revoked.
    expect(publisher.revoked).toEqual([{ ids: [m.tasks[2].task_id], terminate: true }]);
    expect(publisher.published[0].map((p) => [p.taskId, p.kwargs.attempt])).toEqual(r.restarted.map((t) => [t.task_id, 2]));
    const rows = await svc.status('rs');
    expect(rows.map((x) => x.status)).toEqual(['SUCCESS', 'PENDING', 'PENDING', 'SUCCESS']);
    expect(rows.map((x) => x.run_status)).toEqual(['OK', 'unknown', 'unknown', 'OK']);

    // The old attempt of task 1 reporting late does not change the restarted task.
    expect(await store.runs.recordRun(t1.name, run(t1.task_id, 'OK', 1), null, 1)).toBeNull();
    expect((await svc.status('rs'))[1].status).toBe('PENDING');

    const newMain = await svc.putNotebook('rs', notebook('v2'));
    const all = await svc.restart('rs', { reset: true, refresh: true });
    expect(all.restarted).toHaveLength(4);
    const tasks = await svc.tasks('rs');
    expect(tasks.every((t) => t.main_sha256 === newMain.sha256 && t.state === 'PENDING')).toBe(true);
    const rendered = await svc.getNotebook(`${tasks[0].name}.ipynb`);
    expect(JSON.stringify(rendered.content)).toContain("print('v2'");
  });

  it('cancels queued and running tasks of the group and leaves finished ones', async () => {
    await svc.putNotebook('cx', notebook());
    const m = await svc.map('cx', { params: [1, 2, 3] });
    await store.runs.markStarted(m.tasks[1].name, m.tasks[1].task_id, 'nbgrid@w');
    await store.runs.recordRun(m.tasks[2].name, run(m.tasks[2].task_id, 'OK'), null, 3);
    events = [];
    const c = await svc.cancel('cx', {});
    expect(c).toEqual({ task_group: m.task_group, revoked: 2 });
    expect(publisher.revoked).toEqual([{ ids: [m.tasks[0].task_id, m.tasks[1].task_id], terminate: true }]);
    expect((await svc.status('cx')).map((r) => r.status)).toEqual(['REVOKED', 'REVOKED', 'SUCCESS']);
    expect(events.map((e) => e.status)).toEqual(['REVOKED', 'REVOKED']);
  });

  it('returns results in parameter order with the missing job ids, and groups newest first', async () => {
    await svc.putNotebook('res', notebook());
    const g1 = await svc.map('res', { params: [1] });
    const m = await svc.map('res', { params: ['a', 'b', 'c'] });
    // finish out of order
    await store.runs.recordRun(m.tasks[2].name, run(m.tasks[2].task_id, 'OK'), null, { v: [3, NaN] });
    await store.runs.recordRun(m.tasks[0].name, run(m.tasks[0].task_id, 'OK'), null, 'first');
    await store.runs.recordRun(m.tasks[1].name, run(m.tasks[1].task_id, 'ERROR'), null, undefined);
    const r = await svc.results('res');
    expect(r).toEqual({ task_group: m.task_group, results: ['first', null, { v: [3, NaN] }], missing: [1] });
    expect((await svc.results('res', g1.task_group)).missing).toEqual([0]);

    const groups = await svc.groups('res');
    expect(groups.map((g) => g.task_group)).toEqual([m.task_group, g1.task_group]);
    expect(groups[0]).toMatchObject({ job: 'res', count: 3, require: 'default', states: { SUCCESS: 2, FAILURE: 1 } });
    expect(groups[1].states).toEqual({ PENDING: 1 });

    const all = await svc.status('res', '*');
    expect(all.map((x) => `${x.task_group}-${x.job_id}`)).toEqual([`${g1.task_group}-0`, ...[0, 1, 2].map((i) => `${m.task_group}-${i}`)]);
    expect((await svc.status('res', g1.task_group)).map((x) => x.task_group)).toEqual([g1.task_group]);
    await expect(svc.status('res', 'ffffffff')).rejects.toThrow(NotFoundError);
    await expect(svc.status('nothing-mapped')).rejects.toThrow(NotFoundError);
  });

  it('lists and serves main, task and result notebooks by prefix', async () => {
    await svc.putNotebook('ls/nb', notebook());
    const m = await svc.map('ls/nb', { params: [1] });
    const done = await store.runs.recordRun(m.tasks[0].name, run(m.tasks[0].task_id, 'OK'), notebook('result'), 1);
    const resultName = done?.job_runs[0].results as string;
    expect((await svc.listNotebooks('ls/')).map((n) => n.name)).toEqual(['ls/nb']);
    expect((await svc.listNotebooks('tasks/ls/nb/')).map((n) => n.name)).toEqual([`tasks/ls/nb/${m.task_group}-0.ipynb`]);
    expect((await svc.listNotebooks('results/tasks/ls/')).map((n) => n.name)).toEqual([resultName]);
    const everything = (await svc.listNotebooks('')).map((n) => n.name);
    expect(everything).toEqual(expect.arrayContaining(['ls/nb', `tasks/ls/nb/${m.task_group}-0.ipynb`, resultName]));
    const res = await svc.getNotebook(resultName);
    expect(JSON.stringify(res.content)).toBe(JSON.stringify(notebook('result')));
    await svc.deleteNotebook(resultName);
    await expect(svc.getNotebook(resultName)).rejects.toThrow(NotFoundError);
  });

  it('rejects bad input with InvalidInputError/NotFoundError and changes nothing stored', async () => {
    await svc.putNotebook('main', notebook());
    await svc.putNotebook('r-kernel', notebook('v1', { name: 'ir', display_name: 'R', language: 'R' }));
    const before = await counts();
    const bad: [() => Promise<unknown>, new (m: string) => Error, RegExp][] = [
      [() => svc.putNotebook('x', { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'nope' }] }), InvalidInputError, /cells\[0\]\.cell_type must be one of code, markdown, raw/],
      [() => svc.putNotebook('x', '{"not": "parsed"}'), InvalidInputError, /JSON object/],
      [() => svc.putNotebook('../etc/x', notebook()), InvalidInputError, /'\.\.'/],
      [() => svc.putNotebook('tasks/main/abc', notebook()), InvalidInputError, /reserved/],
      [() => svc.getNotebook('a/../b'), InvalidInputError, /'\.\.'/],
      [() => svc.map('../main', { params: [1] }), InvalidInputError, /'\.\.'/],
      [() => svc.map('unknown', { params: [1] }), NotFoundError, /notebook 'unknown' does not exist; store it first: om\.jobs\.put\(<notebook>, 'unknown'\) \(nbgrid put <file> unknown\)/],
      [() => svc.map('main', { params: [1, undefined as unknown as JsonValue] }), InvalidInputError, /params\[1\] is undefined/],
      [() => svc.map('main', { params: [{ f: (() => 1) as unknown as JsonValue }] }), InvalidInputError, /params\[0\]\["f"\] is a function/],
      [() => svc.map('main', { params: 'abc' as unknown as JsonValue[] }), InvalidInputError, /list of JSON values/],
      [() => svc.map('main', { params: new Array(100_001).fill(0) }), InvalidInputError, /at most 100000/],
      [() => svc.map('main', { params: [1, 'x'.repeat(5 * 1024 * 1024)] }), InvalidInputError, /params\[1\] is \d+ bytes/],
      [() => svc.map('main', { params: [1], require: 'bad label!' }), InvalidInputError, /require must be a worker label/],
      [() => svc.map('main', { params: [1], cell_timeout: -1 }), InvalidInputError, /cell_timeout/],
      [() => svc.restart('main', { task_group: 'zz' }), InvalidInputError, /8 hex/]
    ];
    for (const [call, type, message] of bad) {
      const err = await call().then(
        () => null,
        (e: unknown) => e
      );
      expect(err).toBeInstanceOf(type);
      expect((err as Error).message).toMatch(message);
    }
    await expect(svc.map('r-kernel', { params: [1] })).rejects.toThrow(/kernel 'ir'.*only Python/);
    expect(await counts()).toEqual(before);
    expect(publisher.published).toEqual([]);
  });

  it('takes a map back when publishing fails', async () => {
    await svc.putNotebook('pf', notebook());
    const before = await counts();
    publisher.failNext = true;
    await expect(svc.map('pf', { params: [1, 2, 3, 'only-here'] })).rejects.toThrow('redis is down');
    expect(await counts()).toEqual(before);
  });

  describe('task documents written after the map is accepted', () => {
    it('a worker can run a task before its document exists; the later bulk write keeps what it did', async () => {
      await svc.putNotebook('lazy', notebook());
      const m = await svc.map('lazy', { params: Array.from({ length: 300 }, (_, i) => `p${i}`) });
      // Before the background write has finished: what a worker does with the message of task 250.
      const t = m.tasks[250];
      const { task, notebook: rendered } = await store.runs.renderTask(t.name);
      expect(task).toMatchObject({ task_id: t.task_id, param: 'p250', state: 'PENDING' });
      expect(JSON.stringify(rendered)).toContain('\\"param\\": \\"p250\\", \\"job_id\\": 250');
      expect(await store.runs.markStarted(t.name, t.task_id, 'nbgrid@early')).not.toBeNull();
      await store.runs.recordRun(t.name, run(t.task_id, 'OK'), null, 'done');
      await svc.settled();
      const tasks = await svc.tasks('lazy', m.task_group);
      expect(tasks).toHaveLength(300);
      expect(tasks.map((x) => x.task_id)).toEqual(m.tasks.map((x) => x.task_id));
      expect(tasks[250]).toMatchObject({ state: 'SUCCESS', run_status: 'OK', result: 'done', worker: 'nbgrid@w' });
      expect(tasks.filter((x) => x.state === 'PENDING')).toHaveLength(299);
    });

    it('a map whose service died before writing the task documents loses nothing: every read creates them', async () => {
      await svc.putNotebook('crash', notebook());
      // What map() leaves behind when the process dies right after queueing: the group only,
      // stored by another process (so nothing of it is cached in this one).
      const dead = await NbgridStore.open(mongo.url, { dbName: store.connection.db.databaseName });
      const main = await dead.notebooks.describe('crash');
      const stored = await dead.tasks.createMap({ job: 'crash', require: 'default', cell_timeout: null, main_sha256: main.sha256, params: [1, 2, 3, 4].map((v) => Buffer.from(JSON.stringify({ v }))) });
      await dead.close();
      const group = stored.task_group;
      const published = stored.tasks;
      expect(await store.connection.db.collection(Collections.tasks).countDocuments({ task_group: group })).toBe(0);

      const rows = await svc.status('crash', group);
      expect(rows.map((r) => [r.job_id, r.task_id, r.status])).toEqual(published.map((d, i) => [i, d.task_id, 'PENDING']));
      expect((await svc.tasks('crash', group)).map((t) => t.param)).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }]);
      expect(await store.connection.db.collection(Collections.tasks).countDocuments({ task_group: group })).toBe(4);
      expect((await svc.groups('crash'))[0]).toMatchObject({ task_group: group, count: 4, states: { PENDING: 4 } });
      expect((await svc.cancel('crash', { task_group: group })).revoked).toBe(4);
    });
  });
});
