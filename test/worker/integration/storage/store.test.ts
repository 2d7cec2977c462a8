import { randomUUID } from 'node:crypto';
import { NotFoundError, ServiceUnavailableError } from '../../../../worker/src/domain/errors';
import type { IJobRun } from '../../../../worker/src/domain/types';
import { Collections } from '../../../../worker/src/storage/collections';
import { encodeJson, sha256 } from '../../../../worker/src/domain/json-bytes';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { freePort, startFerretDb } from './ferretdb';

let mongo: { url: string; stop(): Promise<void> };
let store: NbgridStore;

/** A notebook FerretDB could not hold as a BSON document: dotted keys, NUL, nested arrays. */
function trickyNotebook() {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, nested: [[1, 2], [[3]]] },
    cells: [
      { id: 'p1', cell_type: 'code', metadata: { tags: ['parameters'] }, source: "job = {'param': 9}", outputs: [], execution_count: null },
      {
        id: 'c2',
        cell_type: 'code',
        metadata: {},
        source: ['s = "nul\\x00"\n', 'print(s)'],
        execution_count: 1,
        outputs: [
          { output_type: 'stream', name: 'stdout', text: 'nul\u0000byte ü 😀\n' },
          {
            output_type: 'display_data',
            metadata: { 'application/vnd.plotly.v1+json': { 'dotted.key': true } },
            data: { 'application/vnd.plotly.v1+json': { data: [{ x: [[1, 2], [3, 4]] }], layout: { $weird: 1 } }, 'text/plain': 'Figure' }
          }
        ]
      }
    ]
  };
}

beforeAll(async () => {
  mongo = await startFerretDb();
  store = await NbgridStore.open(mongo.url, { dbName: `store_${randomUUID().slice(0, 8)}`, inlineBlobLimit: 64 * 1024 });
});

afterAll(async () => {
  await store?.close();
  await mongo?.stop();
});

it('a second process opens the same database (indexes already exist) and it keeps working', async () => {
  // The service and every worker open the store; FerretDB v1 once dropped the connection here.
  const dbName = store.connection.db.databaseName;
  const second = await NbgridStore.open(mongo.url, { dbName });
  try {
    await expect(second.ping()).resolves.toBeUndefined();
    const third = await NbgridStore.open(mongo.url, { dbName });
    await third.close();
  } finally {
    await second.close();
  }
});

function run(partial: Partial<IJobRun> & Pick<IJobRun, 'status' | 'task_id'>): IJobRun {
  return { ts: new Date().toISOString(), message: '', results: null, duration: 1.5, worker: 'nbgrid@host', attempt: 1, ...partial };
}

async function makeTask(nb: { sha256: string }, param: unknown, jobId = 0) {
  // A map of tasks 0..jobId (each with `param`) as map() stores it, its task documents written.
  const params = Array.from({ length: jobId + 1 }, () => encodeJson(param));
  const map = await store.tasks.createMap({ job: 'main', require: 'default', cell_timeout: null, main_sha256: nb.sha256, params });
  await store.tasks.materialize(map.task_group);
  return map.tasks[jobId];
}

describe('NbgridStore on FerretDB', () => {
  it('round-trips a notebook byte for byte (dotted mimetype keys, NUL, nested arrays)', async () => {
    const content = trickyNotebook();
    const info = await store.notebooks.put('folder/tricky', content);
    const expectedBytes = Buffer.from(JSON.stringify(content), 'utf8');
    expect(info.sha256).toBe(sha256(expectedBytes));
    expect(info.size).toBe(expectedBytes.byteLength);
    expect((await store.blobs.get(info.sha256)).equals(expectedBytes)).toBe(true);
    const back = await store.notebooks.get('folder/tricky');
    expect(JSON.stringify(back.content)).toBe(JSON.stringify(content));
    expect(back).toMatchObject({ name: 'folder/tricky', sha256: info.sha256, size: info.size });
    expect((await store.notebooks.list('folder/')).map((n) => n.name)).toEqual(['folder/tricky']);
  });

  it('stores identical content once and large content in GridFS', async () => {
    const a = await store.notebooks.put('copy-a', trickyNotebook());
    const b = await store.notebooks.put('copy-b', trickyNotebook());
    expect(a.sha256).toBe(b.sha256);
    const db = store.connection.db;
    expect(await db.collection(Collections.blobs).countDocuments({ _id: a.sha256 as never })).toBe(1);

    const big = trickyNotebook();
    big.cells[1].outputs[0].text = 'x'.repeat(300 * 1024) + '\u0000end';
    const info = await store.notebooks.put('big', big);
    expect(info.size).toBeGreaterThan(64 * 1024);
    expect(await db.collection(`${Collections.blobBucket}.files`).countDocuments({ filename: info.sha256 })).toBe(1);
    const back = await store.notebooks.get('big');
    expect(JSON.stringify(back.content)).toBe(JSON.stringify(big));
  });

  it('renders a task notebook from the main blob and the stored parameter', async () => {
    const nb = await store.notebooks.put('main', trickyNotebook());
    const param = [[1, [2, 3]], { 'a.b': 'nul\u0000', $x: null }, NaN];
    const t = await makeTask(nb, param, 4);
    const { notebook, task } = await store.runs.renderTask(`${t.name}.ipynb`);
    expect(task.name).toBe(t.name);
    expect(task.param).toEqual(param);
    const cells = notebook.cells as { metadata: { tags?: string[] }; source: string }[];
    expect(cells[1].metadata.tags).toEqual(['injected-parameters']);
    // job = json.loads('...') (issue 14): the stored JSON text in a Python string literal
    expect(cells[1].source).toContain(`"job_id": 4`);
    expect(cells[1].source).toContain(`"param": [[1,[2,3]],{"a.b":"nul\\\\u0000","$x":null},NaN]`);
    await expect(store.runs.renderTask('tasks/main/ffffffff-0')).rejects.toThrow(NotFoundError);
    // Said in words every client's user can follow (Python, CLI), not as a REST route.
    await expect(store.runs.renderTask('tasks/main/ffffffff-0')).rejects.toThrow(
      "task 'tasks/main/ffffffff-0' does not exist; job.status() (nbgrid status <job>) lists a job's tasks"
    );
  });

  it('records a run given the task the worker holds as given its name: the result notebook carries its job and group', async () => {
    const nb = await store.notebooks.put('main', trickyNotebook());
    const byName = await makeTask(nb, 'a');
    const byRef = await makeTask(nb, 'b', 1);
    const held = await store.runs.markStarted(byRef.name, byRef.task_id, 'nbgrid@w1');
    await store.runs.markStarted(byName.name, byName.task_id, 'nbgrid@w1');
    const a = await store.runs.recordRun(byName.name, run({ status: 'OK', task_id: byName.task_id }), trickyNotebook(), 'a');
    const b = await store.runs.recordRun(held!, run({ status: 'OK', task_id: byRef.task_id }), trickyNotebook(), 'b');
    for (const [task, done] of [[byName, a], [byRef, b]] as const) {
      expect(done).toMatchObject({ state: 'SUCCESS', result: task === byName ? 'a' : 'b' });
      const doc = await store.connection.db.collection(Collections.results).findOne({ _id: done!.job_runs[0].results as never });
      expect(doc).toMatchObject({ task_name: task.name, job: 'main', task_group: task.task_group, job_id: task.job_id, task_id: task.task_id });
    }
  });

  it('records runs once per task_id and attempt, and only the current attempt sets the state', async () => {
    const nb = await store.notebooks.put('main', trickyNotebook());
    const t = await makeTask(nb, 1);
    expect((await store.runs.markStarted(t.name, 'other-id', 'w'))).toBeNull();
    const started = await store.runs.markStarted(t.name, t.task_id, 'nbgrid@w1');
    expect(started?.state).toBe('STARTED');

    const resultNb = trickyNotebook();
    const first = await store.runs.recordRun(t.name, run({ status: 'OK', task_id: t.task_id, results: null }), resultNb, { v: [1, NaN, null] });
    expect(first).toMatchObject({ state: 'SUCCESS', run_status: 'OK' });
    expect(first?.result).toEqual({ v: [1, NaN, null] });
    expect(first?.job_runs).toHaveLength(1);
    const resName = first?.job_runs[0].results as string;
    expect(resName).toMatch(/^results\/tasks\/main\/[0-9a-f]{8}-0\.ipynb_\d{4}-\d\d-\d\dT.*Z\.ipynb$/);
    const stored = await store.notebooks.getResult(resName);
    expect(JSON.stringify(stored.content)).toBe(JSON.stringify(resultNb));

    // Redelivered message: same task id and attempt, now failing: nothing changes.
    const again = await store.runs.recordRun(t.name, run({ status: 'ERROR', task_id: t.task_id, message: 'boom' }), null, undefined);
    expect(again).toBeNull();
    const after = await store.runs.get(t.name);
    expect(after.job_runs).toHaveLength(1);
    expect(after.state).toBe('SUCCESS');
    expect(after.result).toEqual({ v: [1, NaN, null] });

    // The same task id finishing again under another attempt (a redelivery that also ran):
    // history only, never a second state change or result.
    expect(await store.runs.recordRun(t.name, run({ status: 'OK', task_id: t.task_id, attempt: 2 }), null, 'second')).toBeNull();
    expect((await store.runs.get(t.name)).result).toEqual({ v: [1, NaN, null] });
    const twice = await store.runs.get(t.name);
    expect(twice.job_runs).toHaveLength(2);
    // ...and never as a second OK run: exactly one OK run per task.
    expect(twice.job_runs.map((r) => r.status)).toEqual(['OK', 'ERROR']);
    expect(twice.job_runs[1].message).toMatch(/^not counted/);

    // A run of an old task id lands in the history but does not touch the state.
    const stale = await store.runs.recordRun(t.name, run({ status: 'ERROR', task_id: 'old-id', message: 'late\u0000' }), null, undefined);
    expect(stale).toBeNull();
    const final = await store.runs.get(t.name);
    expect(final.job_runs.map((r) => r.task_id)).toEqual([t.task_id, t.task_id, 'old-id']);
    expect(final.state).toBe('SUCCESS');
  });

  it('a restart is conditional on what it read: a run of the old id that finished OK meanwhile wins, a reset does not', async () => {
    const nb = await store.notebooks.put('main', trickyNotebook());
    const t = await makeTask(nb, 'race');
    await store.runs.markStarted(t.name, t.task_id, 'nbgrid@w1');
    // restart() read the task while its run was still going (no OK run yet) ...
    const [read] = (await store.tasks.summaries('main', t.task_group)).filter((s) => s.name === t.name);
    expect(read.run_status).not.toBe('OK');
    // ... then the run finished OK before restart() wrote (seen in make soak: two counted OK runs).
    await store.runs.recordRun(t.name, run({ status: 'OK', task_id: t.task_id }), null, 'first');
    const restart = { name: t.name, task_id: randomUUID(), attempt: 2, task_group: t.task_group, prev_task_id: read.task_id };
    await store.tasks.restartTasks([{ ...restart, unless_ok: true }]);
    const kept = await store.runs.get(t.name);
    expect(kept).toMatchObject({ task_id: t.task_id, state: 'SUCCESS', run_status: 'OK', result: 'first' });
    // A restart that read an id the task no longer has changes nothing either.
    await store.tasks.restartTasks([{ ...restart, prev_task_id: 'an-older-id', unless_ok: false }]);
    expect((await store.runs.get(t.name)).task_id).toBe(t.task_id);
    // reset=True re-runs a task that has an OK run.
    await store.tasks.restartTasks([{ ...restart, unless_ok: false }]);
    expect(await store.runs.get(t.name)).toMatchObject({ task_id: restart.task_id, state: 'PENDING', run_status: 'unknown' });
  });

  it('records a lost attempt once, in the history only', async () => {
    const nb = await store.notebooks.put('main', trickyNotebook());
    const t = await makeTask(nb, 2);
    await store.runs.markStarted(t.name, t.task_id, 'nbgrid@dead');
    const lost = run({ status: 'ERROR', task_id: t.task_id, message: 'worker died', worker: 'nbgrid@dead' });
    await store.runs.recordLostAttempt(t.name, lost);
    await store.runs.recordLostAttempt(t.name, lost);
    const task = await store.runs.get(t.name);
    expect(task.job_runs).toEqual([lost]);
    expect(task).toMatchObject({ state: 'STARTED', worker: 'nbgrid@dead' });
    // The redelivered run then records normally.
    const ok = await store.runs.recordRun(t.name, run({ status: 'OK', task_id: t.task_id, attempt: 2 }), null, 5);
    expect(ok).toMatchObject({ state: 'SUCCESS', run_status: 'OK', result: 5 });
  });

  it('records a failed run as FAILURE/ERROR with its message', async () => {
    const nb = await store.notebooks.put('main', trickyNotebook());
    const t = await makeTask(nb, 'x');
    const failed = await store.runs.recordRun(t.name, run({ status: 'ERROR', task_id: t.task_id, message: 'ValueError: bad' }), null, undefined);
    expect(failed).toMatchObject({ state: 'FAILURE', run_status: 'ERROR' });
    expect(failed?.result).toBeUndefined();
    expect(failed?.job_runs[0]).toMatchObject({ status: 'ERROR', message: 'ValueError: bad', results: null });
  });

  it('turns an unreachable MongoDB into ServiceUnavailableError', async () => {
    const port = await freePort();
    await expect(NbgridStore.open(`mongodb://127.0.0.1:${port}/`, { serverSelectionTimeoutMS: 300 })).rejects.toThrow(ServiceUnavailableError);
  });
});
