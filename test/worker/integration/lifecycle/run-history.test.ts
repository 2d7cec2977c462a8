/**
 * Run history per task is bounded (first run + last N + a count) on the real FerretDB v1, the
 * exactly-once guard of recorded runs still holds after trimming, sizes are checked before the
 * task document is written, and a task whose name holds U+2028 is found before its map's task
 * documents are written.
 */
import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '../../../../worker/src/domain/errors';
import type { ITaskEvent, ITaskPublisher } from '../../../../worker/src/domain/ports';
import { MAX_RESULT_BYTES } from '../../../../worker/src/domain/run-recorder';
import type { IJobRun, JsonValue } from '../../../../worker/src/domain/types';
import { JobService } from '../../../../worker/src/jobs/job-service';
import { Collections } from '../../../../worker/src/storage/collections';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { startFerretDb } from '../storage/ferretdb';

const N = 3;
let mongo: { url: string; stop(): Promise<void> };
let store: NbgridStore;
let svc: JobService;

const publisher: ITaskPublisher = { publishMany: async () => undefined, revoke: async () => undefined };

function notebook(kernel = { name: 'python3', display_name: 'Python 3', language: 'python' }) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: kernel },
    cells: [{ id: 'a', cell_type: 'code', metadata: {}, source: "print(job['param'])", outputs: [], execution_count: null }]
  };
}

function run(taskId: string, status: 'OK' | 'ERROR', attempt: number, message = ''): IJobRun {
  return { status, ts: new Date().toISOString(), message, results: null, duration: 0.1, worker: 'nbgrid@w', attempt, task_id: taskId };
}

beforeAll(async () => {
  mongo = await startFerretDb();
  store = await NbgridStore.open(mongo.url, { dbName: `history_${randomUUID().slice(0, 8)}`, runHistory: N });
  svc = new JobService({ store, publisher, liveWorkers: async () => [], emit: (_e: ITaskEvent) => undefined });
});

afterAll(async () => {
  await store?.close();
  await mongo?.stop();
});

async function rawTask(name: string): Promise<Record<string, unknown>> {
  const doc = await store.connection.db.collection(Collections.tasks).findOne({ _id: name as never });
  return doc as unknown as Record<string, unknown>;
}

/** Restart one task the way restart() does and record a failed run of its new id; returns the new id. */
async function failAgain(job: string, name: string, i: number): Promise<string> {
  const { restarted } = await svc.restart(job, { reset: true });
  const id = restarted.find((r) => r.name === name)!.task_id;
  const task = await store.runs.get(name);
  await store.runs.recordRun(name, run(id, 'ERROR', task.runs_total + 1, `failure ${i}`), null, undefined);
  return id;
}

describe('bounded run history', () => {
  it('keeps the first run, the last N runs and a count of all; status shows the last', async () => {
    await svc.putNotebook('hist', notebook());
    const m = await svc.map('hist', { params: [1] });
    await svc.settled();
    const name = m.tasks[0].name;
    await store.runs.recordRun(name, run(m.tasks[0].task_id, 'ERROR', 1, 'failure 0'), null, undefined);
    for (let i = 1; i < 10; i++) await failAgain('hist', name, i);

    const task = await store.runs.get(name);
    expect(task.runs_total).toBe(10);
    expect(task.job_runs.map((r) => r.message)).toEqual(['failure 0', 'failure 7', 'failure 8', 'failure 9']);
    const doc = await rawTask(name);
    expect((doc.job_runs as unknown[]).length).toBe(N);
    expect((doc.run_keys as unknown[]).length).toBe(N);
    expect(doc.runs_total).toBe(10);
    const [row] = await svc.status('hist');
    expect([row.status, row.run_status, row.message]).toEqual(['FAILURE', 'ERROR', 'failure 9']);
    // The REST/CLI listing of tasks carries the count beside the shown runs.
    expect((await svc.tasks('hist'))[0]).toMatchObject({ runs_total: 10 });
  });

  it('a redelivered run is recorded once, also after its key was trimmed from the window', async () => {
    await svc.putNotebook('redeliver', notebook());
    const m = await svc.map('redeliver', { params: [1] });
    await svc.settled();
    const name = m.tasks[0].name;
    const firstId = m.tasks[0].task_id;
    const first = run(firstId, 'OK', 1);
    expect(await store.runs.recordRun(name, first, null, 'v1')).not.toBeNull();
    // Within the window: the same task id and attempt again changes nothing.
    expect(await store.runs.recordRun(name, first, null, 'v1')).toBeNull();
    expect((await store.runs.get(name)).runs_total).toBe(1);

    for (let i = 1; i <= N + 2; i++) await failAgain('redeliver', name, i);
    const before = await store.runs.get(name);
    expect(before.runs_total).toBe(N + 3);
    expect((await rawTask(name)).run_keys).not.toContain(`${firstId}:1`); // trimmed

    // The first delivery's copy comes back (a worker redelivered it late): not counted again,
    // not added to the history, state untouched.
    expect(await store.runs.recordRun(name, first, null, 'v1')).toBeNull();
    await store.runs.recordLostAttempt(name, { ...first, status: 'ERROR', message: 'lost' });
    const after = await store.runs.get(name);
    expect(after.runs_total).toBe(before.runs_total);
    expect(after.job_runs).toEqual(before.job_runs);
    expect([after.state, after.run_status]).toEqual(['FAILURE', 'ERROR']);
    expect(after.job_runs.filter((r) => r.status === 'OK')).toHaveLength(1); // the first run, kept
  });

  it('concurrent recordings of distinct runs all count (conditional writes retried)', async () => {
    await svc.putNotebook('concurrent', notebook());
    const m = await svc.map('concurrent', { params: [1] });
    await svc.settled();
    const name = m.tasks[0].name;
    // N runs that all read the same history (attempt 1) before recording: each is written once.
    await Promise.all(Array.from({ length: N }, (_, i) => store.runs.recordLostAttempt(name, run(`lost-${i}`, 'ERROR', 1, `lost ${i}`))));
    let task = await store.runs.get(name);
    expect(task.runs_total).toBe(N);
    expect(task.job_runs.map((r) => r.message).sort()).toEqual(Array.from({ length: N }, (_, i) => `lost ${i}`));
    // The run that decides the outcome counts even when more than N runs were recorded since it started.
    await Promise.all(Array.from({ length: N }, (_, i) => store.runs.recordLostAttempt(name, run(`more-${i}`, 'ERROR', N + 1 + i, `more ${i}`))));
    const done = await store.runs.recordRun(name, run(m.tasks[0].task_id, 'OK', 1), null, 'late but current');
    expect(done).not.toBeNull();
    task = await store.runs.get(name);
    expect([task.state, task.run_status, task.result, task.runs_total]).toEqual(['SUCCESS', 'OK', 'late but current', 2 * N + 1]);
    expect(task.job_runs).toHaveLength(N + 1);
  });

  it('concurrent runs of one task id (a double delivery): exactly one counts, on FerretDB too', async () => {
    await svc.putNotebook('double', notebook());
    for (let round = 0; round < 5; round++) {
      const m = await svc.map('double', { params: [round] });
      await svc.settled();
      const t = m.tasks[0];
      const outcomes = await Promise.all(
        Array.from({ length: N }, (_, i) => store.runs.recordRun(t.name, run(t.task_id, 'OK', i + 1), null, `copy ${i}`))
      );
      expect(outcomes.filter((o) => o !== null)).toHaveLength(1);
      const task = await store.runs.get(t.name);
      expect(task.runs_total).toBe(N);
      expect(task.job_runs.filter((r) => r.status === 'OK')).toHaveLength(1);
      expect(task.job_runs.filter((r) => r.message.startsWith('not counted'))).toHaveLength(N - 1);
      expect([task.state, task.run_status]).toEqual(['SUCCESS', 'OK']);
    }
  });

  it('documents from before the bound (no runs_total) are trimmed on their next run, first run kept', async () => {
    await svc.putNotebook('legacy', notebook());
    const m = await svc.map('legacy', { params: [1] });
    await svc.settled();
    const name = m.tasks[0].name;
    const id = m.tasks[0].task_id;
    const old = Array.from({ length: 6 }, (_, i) => run(`old-${i}`, 'ERROR', i + 1, `old ${i}`));
    await store.connection.db.collection(Collections.tasks).updateOne(
      { _id: name as never },
      { $set: { job_runs: old, run_keys: old.map((r) => `${r.task_id}:${r.attempt}`) }, $unset: { runs_total: '' } }
    );
    expect((await store.runs.get(name)).runs_total).toBe(6);
    // A redelivery of an old run is still refused by its key.
    expect(await store.runs.recordRun(name, old[1], null, undefined)).toBeNull();
    expect(await store.runs.recordRun(name, run(id, 'OK', 7), null, 42)).not.toBeNull();
    const task = await store.runs.get(name);
    expect(task.runs_total).toBe(7);
    expect(task.job_runs.map((r) => r.message)).toEqual(['old 0', 'old 4', 'old 5', '']);
    expect(task.result).toBe(42);
  });
});

describe('sizes and depth checked before the task is written', () => {
  it('a returned value over the limit ends the run ERROR naming size and limit; the result notebook is kept', async () => {
    await svc.putNotebook('huge', notebook());
    const m = await svc.map('huge', { params: [1] });
    await svc.settled();
    const t = m.tasks[0];
    const value = 'x'.repeat(MAX_RESULT_BYTES + 1024);
    const done = await store.runs.recordRun(t.name, run(t.task_id, 'OK', 1), notebook(), value);
    expect(done).not.toBeNull();
    expect([done!.state, done!.run_status]).toEqual(['FAILURE', 'ERROR']);
    const last = done!.job_runs[done!.job_runs.length - 1];
    expect(last.message).toContain('the returned value is 6.0 MB');
    expect(last.message).toContain('at most 6.0 MB');
    expect(last.results).toMatch(/^results\/tasks\/huge\//);
    expect(done!.result).toBeUndefined();
    expect((await svc.getNotebook(last.results!)).content).toBeTruthy();
    const res = await svc.results('huge');
    expect(res.missing).toEqual([0]);
  });

  it('a returned value nested too deep ends the run ERROR instead of overflowing the stack', async () => {
    await svc.putNotebook('deepres', notebook());
    const m = await svc.map('deepres', { params: [1] });
    await svc.settled();
    let deep: JsonValue = 1;
    for (let i = 0; i < 5000; i++) deep = [deep];
    const done = await store.runs.recordRun(m.tasks[0].name, run(m.tasks[0].task_id, 'OK', 1), null, deep);
    expect(done!.run_status).toBe('ERROR');
    expect(done!.job_runs[0].message).toContain('nested more than 500 levels deep');
  });

  it.each([600, 5000, 100000])('map() refuses a parameter nested %i levels with a 400 naming it', async (levels) => {
    await svc.putNotebook('deep', notebook());
    let deep: JsonValue = 'leaf';
    for (let i = 0; i < levels; i++) deep = { k: deep };
    const err = await svc.map('deep', { params: [1, deep] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/^params\[1\] is nested more than 500 levels deep/);
  });
});

describe('names with line separators', () => {
  it('a task of a notebook named with U+2028/U+2029 is found before its task documents are written', async () => {
    const job = 'sep\u2028ar\u2029ated';
    await svc.putNotebook(job, notebook());
    // createMap without materialize: the state a worker sees when it is faster than the service.
    const stored = await store.tasks.createMap({ job, require: 'default', cell_timeout: null, main_sha256: (await store.notebooks.describe(job)).sha256, params: [Buffer.from('7')] });
    const name = stored.tasks[0].name;
    expect(await rawTask(name)).toBeNull();
    const { task, notebook: rendered } = await store.runs.renderTask(name);
    expect(task.param).toBe(7);
    const injected = (rendered.cells as { source: string }[])[0].source;
    expect(injected).toContain(`"task_name": "tasks/sep\\u2028ar\\u2029ated/${stored.task_group}-0"`);
    expect(await store.runs.markStarted(name, stored.tasks[0].task_id, 'nbgrid@w')).not.toBeNull();
  });
});

describe('restart refuses what a worker cannot render', () => {
  it('restart(refresh=True) after the main notebook became non-Python is a 400 and changes nothing', async () => {
    await svc.putNotebook('shapeshift', notebook());
    const m = await svc.map('shapeshift', { params: [1] });
    await svc.settled();
    await store.runs.recordRun(m.tasks[0].name, run(m.tasks[0].task_id, 'ERROR', 1, 'boom'), null, undefined);
    await svc.putNotebook('shapeshift', notebook({ name: 'ir', display_name: 'R', language: 'R' }));
    const err = await svc.restart('shapeshift', { refresh: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toContain("kernel 'ir' (language r)");
    expect((err as Error).message).toContain('restart without refresh');
    const [row] = await svc.status('shapeshift');
    expect([row.task_id, row.status]).toEqual([m.tasks[0].task_id, 'FAILURE']);
    // Without refresh the tasks keep the Python notebook they were mapped with.
    expect((await svc.restart('shapeshift', {})).restarted).toHaveLength(1);
  });
});
