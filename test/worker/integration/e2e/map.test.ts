/**
 * map() end to end on the real stack: Redis, FerretDB, a Kernel Gateway, the API service and two
 * workers, started by the project's own stack code (worker/dist must be built: `make build`).
 */
import { MongoClient } from 'mongodb';
import type { ITask } from '../../../../worker/src/domain/types';
import type { IRunningStack } from '../../../../worker/src/stack';
import { Collections } from '../../../../worker/src/storage/collections';
import type { TestApi } from '../../support/api';
import { usePrivateStack } from '../../support/private-stack';
import { notebook, PARAM_CELL } from '../../support/notebooks';

let stack: IRunningStack;
let api: TestApi;

usePrivateStack('nbgrid-e2e-', { workers: 2 }, (s) => {
  ({ stack, api } = s);
});

/** Notebook blobs in MongoDB (inline and GridFS). */
async function countBlobs(): Promise<number> {
  const client = await MongoClient.connect(stack.info.mongo_url);
  try {
    const db = client.db('nbgrid');
    return (await db.collection(Collections.blobs).countDocuments()) + (await db.collection(`${Collections.blobBucket}.files`).countDocuments());
  } finally {
    await client.close();
  }
}

const echo = notebook([PARAM_CELL, "print('param is', repr(job['param']))\njob['result'] = job['param']"]);

describe('map', () => {
  it('runs one task per parameter and returns results in parameter order', async () => {
    await api.put('echo', echo);
    const params = [3, 'it\'s "quoted"\nline two', { nested: { list: [1, [2, 3]], none: null, t: true } }, -7.5, []];
    const m = await api.map('echo', { params });
    expect(m.tasks.map((t) => t.name)).toEqual(params.map((_, i) => `tasks/echo/${m.task_group}-${i}`));
    const rows = await api.waitDone('echo', m.task_group);
    expect(rows.map((r) => [r.status, r.run_status])).toEqual(params.map(() => ['SUCCESS', 'OK']));
    const results = await api.call<{ results: unknown[]; missing: number[] }>('GET', `/api/jobs/echo/results?task_group=${m.task_group}`);
    expect(results.body.results).toEqual(params);
    expect(results.body.missing).toEqual([]);
    // Both workers took part (concurrency 1 each, five tasks).
    expect(new Set(rows.map((r) => r.worker)).size).toBe(2);
    // GET /tasks names each task's worker, the one its status row names (TaskSchema once lacked it).
    const tasks = await api.call<{ tasks: ITask[] }>('GET', `/api/jobs/echo/tasks?task_group=${m.task_group}`);
    expect(tasks.body.tasks.map((t) => t.worker)).toEqual(rows.map((r) => r.worker));
  });

  it('stores an executed result notebook with the injected parameters cell and the outputs', async () => {
    const m = await api.map('echo', { range: { start: 0, stop: 1, step: 1 } });
    const [row] = await api.waitDone('echo', m.task_group);
    expect(row.results).toMatch(new RegExp(`^results/tasks/echo/${m.task_group}-0\\.ipynb_.+\\.ipynb$`));
    const res = await api.call<{ content: { cells: { source: string | string[]; metadata: { tags?: string[] }; outputs?: { text?: string | string[] }[] }[] } }>(
      'GET', `/api/notebooks/${row.results}`);
    expect(res.status).toBe(200);
    const cells = res.body.content.cells;
    const injected = cells.findIndex((c) => (c.metadata.tags ?? []).includes('injected-parameters'));
    expect(injected).toBe(1); // after the `parameters` cell, as papermill places it
    const src = ([] as string[]).concat(cells[injected].source).join('');
    expect(src).toContain(`"task_group": "${m.task_group}"`); // read by json.loads (issue 14)
    const out = ([] as string[]).concat(cells[2].outputs?.[0]?.text ?? []).join('');
    expect(out).toBe('param is 0\n');
    // The task notebook itself is readable too (rendered from main + parameter).
    const task = await api.call('GET', `/api/notebooks/tasks/echo/${m.task_group}-0.ipynb`);
    expect(task.status).toBe(200);
  });

  it('a failing cell, a cell timeout and a dead kernel are ERRORs with clear messages, and workers keep serving', async () => {
    await api.put(
      'faulty',
      notebook([
        PARAM_CELL,
        [
          'import os, time',
          "if job['param'] == 'raise': raise ValueError('bad parameter 42')",
          "if job['param'] == 'sleep': time.sleep(60)",
          "if job['param'] == 'die': os._exit(1)",
          "job['result'] = 'fine'"
        ].join('\n')
      ])
    );
    const m = await api.map('faulty', { params: ['raise', 'sleep', 'die', 'ok'], cell_timeout: 3 });
    const rows = await api.waitDone('faulty', m.task_group);
    const by = Object.fromEntries(rows.map((r) => [r.job_id, r]));
    expect([by[0].status, by[0].run_status]).toEqual(['FAILURE', 'ERROR']);
    expect(by[0].message).toContain('ValueError');
    expect(by[0].message).toContain('bad parameter 42');
    expect(by[0].message.length).toBeGreaterThan(80); // traceback kept, not cut to a line
    expect([by[1].status, by[1].run_status]).toEqual(['FAILURE', 'ERROR']);
    expect(by[1].message.toLowerCase()).toContain('timed out');
    expect([by[2].status, by[2].run_status]).toEqual(['FAILURE', 'ERROR']);
    expect(by[2].message.toLowerCase()).toContain('kernel died');
    expect([by[3].status, by[3].run_status]).toEqual(['SUCCESS', 'OK']);
    // The workers survived all of it.
    const again = await api.map('faulty', { params: ['ok', 'ok'] });
    const after = await api.waitDone('faulty', again.task_group);
    expect(after.every((r) => r.run_status === 'OK')).toBe(true);
  });
});

describe('restart, reset, refresh, cancel', () => {
  it('restart re-runs only failed tasks; refresh picks up a fixed main notebook; reset re-runs all', async () => {
    const broken = notebook([PARAM_CELL, "assert job['param'] != 2, 'two is broken'\njob['result'] = job['param'] * 10"]);
    await api.put('fixme', broken);
    const m = await api.map('fixme', { range: { start: 0, stop: 4, step: 1 } });
    let rows = await api.waitDone('fixme', m.task_group);
    expect(rows.map((r) => r.run_status)).toEqual(['OK', 'OK', 'ERROR', 'OK']);
    const before = rows.map((r) => r.task_id);

    // Restart without fixing: only task 2 runs again, and fails again.
    let r = await api.call<{ restarted: { name: string }[] }>('POST', '/api/jobs/fixme/restart', { task_group: m.task_group });
    expect(r.body.restarted.map((t) => t.name)).toEqual([`tasks/fixme/${m.task_group}-2`]);
    rows = await api.waitDone('fixme', m.task_group);
    expect(rows[2].run_status).toBe('ERROR');

    // Fix main, restart with refresh: task 2 turns OK; the others keep their task ids.
    await api.put('fixme', notebook([PARAM_CELL, "job['result'] = job['param'] * 10"]));
    r = await api.call('POST', '/api/jobs/fixme/restart', { task_group: m.task_group, refresh: true });
    expect(r.body.restarted).toHaveLength(1);
    rows = await api.waitDone('fixme', m.task_group);
    expect(rows.map((x) => x.run_status)).toEqual(['OK', 'OK', 'OK', 'OK']);
    expect([rows[0].task_id, rows[1].task_id, rows[3].task_id]).toEqual([before[0], before[1], before[3]]);
    const results = await api.call<{ results: unknown[] }>('GET', `/api/jobs/fixme/results?task_group=${m.task_group}`);
    expect(results.body.results).toEqual([0, 10, 20, 30]);

    // Reset re-runs all four: every task gets a new id and a second OK run.
    r = await api.call('POST', '/api/jobs/fixme/restart', { task_group: m.task_group, reset: true });
    expect(r.body.restarted).toHaveLength(4);
    rows = await api.waitDone('fixme', m.task_group);
    expect(rows.every((x, i) => x.run_status === 'OK' && x.task_id !== before[i])).toBe(true);
    const tasks = await api.call<{ tasks: { job_runs: { status: string }[] }[] }>('GET', `/api/jobs/fixme/tasks?task_group=${m.task_group}`);
    expect(tasks.body.tasks.map((t) => t.job_runs.filter((run) => run.status === 'OK').length)).toEqual([2, 2, 2, 2]);
  });

  it('cancel revokes queued tasks and interrupts running ones', async () => {
    await api.put('slow', notebook([PARAM_CELL, 'import time\ntime.sleep(30)']));
    const m = await api.map('slow', { range: { start: 0, stop: 6, step: 1 } });
    // Wait until both workers are busy, then cancel.
    const deadline = Date.now() + 60000;
    while ((await api.status('slow', m.task_group)).filter((r) => r.status === 'STARTED').length < 2) {
      if (Date.now() > deadline) throw new Error('tasks never started');
      await new Promise((res) => setTimeout(res, 200));
    }
    const t0 = Date.now();
    const c = await api.call<{ revoked: number }>('POST', '/api/jobs/slow/cancel', { task_group: m.task_group });
    expect(c.body.revoked).toBe(6);
    const rows = await api.waitDone('slow', m.task_group, 25000);
    expect(Date.now() - t0).toBeLessThan(25000); // running ones were interrupted, not waited for
    expect(rows.every((r) => r.status === 'REVOKED' && r.run_status !== 'OK')).toBe(true);
  });

  it('accepts map(range(10000)) with a warning when no worker serves its label, and reports status for all of it', async () => {
    // Timing belongs to `make bench`; this checks that a map this size works at all.
    await api.put('big', notebook([PARAM_CELL, "job['result'] = job['param']"]));
    const blobsBefore = await countBlobs();
    const m = await api.map('big', { range: { start: 0, stop: 10000, step: 1 }, require: 'nobody-serves-this' });
    expect(m.tasks).toHaveLength(10000);
    expect(m.warnings.join(' ')).toMatch(/nobody-serves-this/);
    const rows = await api.status('big', m.task_group);
    expect(rows).toHaveLength(10000);
    expect(rows.map((r) => r.job_id)).toEqual([...Array(10000).keys()]);
    expect(rows.every((r) => r.status === 'PENDING')).toBe(true);
    // Every task notebook renders from the one stored main notebook.
    const task = await api.call<{ sha256: string }>('GET', `/api/notebooks/tasks/big/${m.task_group}-9999.ipynb`);
    expect(task.status).toBe(200);
    expect(await countBlobs()).toBe(blobsBefore); // the 10,000 tasks stored no notebook copy
    // (Not cancelled here: FerretDB v1 updates ~10 task documents a second in bulk; see the README.)
  });

  it("status with '*' lists every group of the job, and groups are newest first", async () => {
    const groups = await api.call<{ groups: { task_group: string; count: number }[] }>('GET', '/api/jobs/echo/groups');
    expect(groups.body.groups.length).toBe(2);
    const all = await api.status('echo', '*');
    expect(all).toHaveLength(groups.body.groups.reduce((n, g) => n + g.count, 0));
    expect(new Set(all.map((r) => r.task_group))).toEqual(new Set(groups.body.groups.map((g) => g.task_group)));
  });
});

describe('bad input changes nothing', () => {
  it('rejects a missing or wrong token with 401', async () => {
    expect((await api.withToken('wrong').call('GET', '/api/notebooks')).status).toBe(401);
    expect((await api.withToken('').call('GET', '/api/jobs/echo/status')).status).toBe(401);
  });

  it('rejects invalid notebooks, bad names, unknown notebooks and non-JSON parameters with actionable 4xx', async () => {
    const listBefore = await api.call<{ notebooks: unknown[] }>('GET', '/api/notebooks?prefix=');
    const invalid = await api.call<{ message: string }>('PUT', '/api/notebooks/echo', { content: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: 'nope' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toMatch(/cells/);
    // (A literal `a/../b` is resolved by every HTTP client before it is sent; encoded, it arrives.)
    const dots = await api.call<{ message: string }>('PUT', `/api/notebooks/${encodeURIComponent('a/../b')}`, { content: echo });
    expect(dots.status).toBe(400);
    expect(dots.body.message).toMatch(/\.\./);
    const absolute = await api.call<{ message: string }>('PUT', `/api/notebooks/${encodeURIComponent('/etc/x')}`, { content: echo });
    expect(absolute.status).toBe(400);
    const encodedDots = await api.call<{ message: string }>('POST', `/api/jobs/${encodeURIComponent('../etc')}/map`, { params: [1] });
    expect(encodedDots.status).toBe(400);
    expect(encodedDots.body.message).toMatch(/\.\./);
    const unknown = await api.call<{ message: string }>('POST', '/api/jobs/nope/map', { params: [1] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toMatch(/nope/);
    const notJson = await api.call<{ message: string }>('POST', '/api/jobs/echo/map', '{"params": [1, NaN]}');
    expect(notJson.status).toBe(400);
    // Nothing stored changed: echo still runs as before and no notebook appeared or vanished.
    const listAfter = await api.call<{ notebooks: unknown[] }>('GET', '/api/notebooks?prefix=');
    expect(listAfter.body.notebooks).toEqual(listBefore.body.notebooks);
  });
});
