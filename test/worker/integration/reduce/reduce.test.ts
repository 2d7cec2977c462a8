/**
 * The reduce step on the real stack (Redis, FerretDB, Kernel Gateway, API service, 2 workers x
 * concurrency 2): the reduce notebook receives every result in parameter order, `when` decides
 * whether a round with failures reduces, a restart of failed tasks reduces again (a new round),
 * cancel cancels the reduce, and a map naming a reduce notebook that does not exist is a 400.
 */
import * as path from 'path';
import * as fs from 'fs';
import type { TestApi } from '../../support/api';
import type { NbgridStore } from '../../../../worker/src/storage';
import { reduceRuns, resultsOf, roundsOf, rowsOf, squareNotebook, summaryNotebook, until, useReduceStack, waitReduced } from './support';

let api: TestApi;
let store: NbgridStore;
let runLog: string;
let flag: string;

useReduceStack('nbgrid-reduce-', {}, async (s) => {
  ({ api, store, runLog } = s);
  flag = path.join(s.home, 'negatives-allowed');
  await api.put('square', squareNotebook(flag));
  await api.put('summary', summaryNotebook(runLog));
});

describe('reduce', () => {
  it('runs the reduce notebook once after every task, with every result in parameter order', async () => {
    const params = [3, 1, { x: 2, sleep: 2 }, 0, 5, 4, 6, 7];
    const m = await api.map('square', { params, then: { notebook: 'summary' } });
    const reduce = await waitReduced(api, 'square', m.task_group);
    expect([reduce.status, reduce.run_status]).toEqual(['SUCCESS', 'OK']);
    expect(reduce.name).toMatch(/^tasks\/summary\/[0-9a-f]{8}-0$/);
    expect(reduce.results).toMatch(/^results\/tasks\/summary\/[0-9a-f]{8}-0\.ipynb_.*\.ipynb$/);
    const body = await resultsOf(api, 'square', m.task_group);
    expect(body.results).toEqual([9, 1, 4, 0, 25, 16, 36, 49]);
    expect(body.reduced).toEqual({
      task_group: m.task_group,
      params,
      results: [9, 1, 4, 0, 25, 16, 36, 49],
      status: params.map(() => 'SUCCESS'),
      failed: [],
      total: 140
    });
    expect(reduceRuns(runLog, m.task_group)).toBe(1);
    const rounds = await roundsOf(store, m.task_group);
    expect(rounds.map((r) => [r.round, r.skipped, r.queued])).toEqual([[1, null, true]]);
    // the result notebook of the reduce is there, with the reduce input injected
    const nb = await api.call<{ content: { cells: { source: string }[] } }>('GET', `/api/notebooks/${reduce.results}`);
    expect(nb.status).toBe(200);
    expect(nb.body.content.cells.some((c) => String(c.source).includes("job = dict(job['param']"))).toBe(true);
  });

  it("when='all_ok' skips a round with a failed task; restarting it after a fix reduces (round 2)", async () => {
    const m = await api.map('square', { params: [1, -2, 3], then: { notebook: 'summary', when: 'all_ok' } });
    const skipped = await until('the skipped round', () => roundsOf(store, m.task_group), (r) => r.length === 1);
    expect(skipped[0].skipped).toMatch(/not every task ended OK/);
    expect(skipped[0].reduce_group).toBeNull();
    expect((await rowsOf(api, 'square', m.task_group)).reduce).toBeUndefined();
    expect((await resultsOf(api, 'square', m.task_group)).reduced).toBeNull();
    fs.writeFileSync(flag, '');
    try {
      const restart = await api.call<{ restarted: { name: string }[] }>('POST', '/api/jobs/square/restart', { task_group: m.task_group });
      expect(restart.body.restarted.map((t) => t.name)).toEqual([`tasks/square/${m.task_group}-1`]);
      const reduce = await waitReduced(api, 'square', m.task_group, 2);
      expect(reduce.run_status).toBe('OK');
    } finally {
      fs.rmSync(flag, { force: true });
    }
    expect((await resultsOf(api, 'square', m.task_group)).reduced).toMatchObject({ results: [1, 4, 9], failed: [], total: 14 });
    expect(reduceRuns(runLog, m.task_group)).toBe(1);
    expect((await roundsOf(store, m.task_group)).map((r) => r.round)).toEqual([1, 2]);
  });

  it("when='always' reduces with None for a failed task; a restart of it reduces again", async () => {
    const m = await api.map('square', { params: [-1, 2], then: { notebook: 'summary', when: 'always' } });
    await waitReduced(api, 'square', m.task_group, 1);
    expect((await resultsOf(api, 'square', m.task_group)).reduced).toMatchObject({
      results: [null, 4],
      status: ['FAILURE', 'SUCCESS'],
      failed: [0]
    });
    fs.writeFileSync(flag, '');
    try {
      await api.call('POST', '/api/jobs/square/restart', { task_group: m.task_group });
      await waitReduced(api, 'square', m.task_group, 2);
    } finally {
      fs.rmSync(flag, { force: true });
    }
    expect((await resultsOf(api, 'square', m.task_group)).reduced).toMatchObject({ results: [1, 4], failed: [] });
    expect(reduceRuns(runLog, m.task_group)).toBe(2);
  });

  it('reset re-runs every task and the reduce (a new round)', async () => {
    const m = await api.map('square', { params: [2, 3], then: { notebook: 'summary' } });
    await waitReduced(api, 'square', m.task_group, 1);
    await api.call('POST', '/api/jobs/square/restart', { task_group: m.task_group, reset: true });
    // round = 1 + one more attempt per task
    await waitReduced(api, 'square', m.task_group, 3);
    expect(reduceRuns(runLog, m.task_group)).toBe(2);
  });

  it('cancel cancels the running reduce too; no reduce for a cancelled group', async () => {
    await api.put('slow-summary', summaryNotebookSlow(runLog));
    const m = await api.map('square', { params: [1], then: { notebook: 'slow-summary', when: 'always' } });
    await until('the reduce row running', () => rowsOf(api, 'square', m.task_group), (r) => r.reduce?.status === 'STARTED');
    const cancel = await api.call<{ revoked: number }>('POST', '/api/jobs/square/cancel', { task_group: m.task_group });
    expect(cancel.body.revoked).toBe(1);
    const row = await until('the reduce row revoked', () => rowsOf(api, 'square', m.task_group), (r) => r.reduce?.status === 'REVOKED');
    expect(row.reduce?.run_status).not.toBe('OK');

    const c = await api.map('square', { params: [{ x: 1, sleep: 30 }], then: { notebook: 'summary', when: 'always' } });
    await until('the task running', () => rowsOf(api, 'square', c.task_group), (r) => r.tasks[0]?.status === 'STARTED');
    await api.call('POST', '/api/jobs/square/cancel', { task_group: c.task_group });
    const rounds = await until('the cancelled round', () => roundsOf(store, c.task_group), (r) => r.length === 1);
    expect(rounds[0].skipped).toMatch(/cancelled/);
    expect(reduceRuns(runLog, c.task_group)).toBe(0);
  });

  it('refuses a map whose reduce notebook does not exist (400, nothing stored)', async () => {
    const before = await api.call<{ groups: unknown[] }>('GET', '/api/jobs/square/groups');
    const res = await api.call<{ message: string }>('POST', '/api/jobs/square/map', { params: [1], then: { notebook: 'no-such-summary' } });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/then\.notebook 'no-such-summary' does not exist/);
    const bad = await api.call<{ message: string }>('POST', '/api/jobs/square/map', { params: [1], then: { notebook: 'summary', when: 'sometimes' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/when/);
    const after = await api.call<{ groups: unknown[] }>('GET', '/api/jobs/square/groups');
    expect(after.body.groups.length).toBe(before.body.groups.length);
  });
});

/** The reduce notebook, sleeping long enough to be cancelled while it runs. */
function summaryNotebookSlow(log: string): Record<string, unknown> {
  const nb = summaryNotebook(log) as { cells: { source: string }[] };
  nb.cells[1].source = 'import time\ntime.sleep(60)\n' + nb.cells[1].source;
  return nb;
}
