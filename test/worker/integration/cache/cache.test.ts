/**
 * map(cache=True) on the real stack: a task whose input key (code cells, canonical parameter,
 * kernelspec, injected-cell format) has an OK run in an earlier group of the job is recorded at
 * once as SUCCESS / OK with cached_from, reusing that run's result and result notebook; a markdown
 * edit keeps every key, a code edit, another parameter or kernelspec changes it; force runs all;
 * a reset restart of a cached task runs it for real; a reduce over an all-cached group still runs.
 */
import type { IStatusRow } from '../../../../worker/src/domain/types';
import type { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { usePrivateStack } from '../../support/private-stack';

let api: TestApi;

usePrivateStack('nbgrid-cache-', { workers: 2 }, (s) => {
  ({ api } = s);
});

const CODE = "job['result'] = {'p': job['param'], 'n': __import__('random').random()}";
const base = (): Record<string, unknown> => notebook([{ type: 'markdown', source: '# Squares' }, PARAM_CELL, CODE]);

interface IMapped {
  task_group: string;
  count: number;
  cached?: number;
}

async function map(body: Record<string, unknown>, job = 'cached'): Promise<IMapped> {
  return (await api.map(job, body)) as unknown as IMapped;
}

async function results(group: string, job = 'cached'): Promise<{ results: { p: unknown; n: number }[]; reduced?: unknown }> {
  return (await api.call<{ results: { p: unknown; n: number }[]; reduced?: unknown }>('GET', `/api/jobs/${job}/results?task_group=${group}`)).body;
}

const params = [1, { b: 2, a: [1, 2] }, 'three'];
let first: IMapped;
let firstRows: IStatusRow[];

describe('map with cache', () => {
  beforeAll(async () => {
    await api.put('cached', base());
    first = await map({ params });
    firstRows = await api.waitDone('cached', first.task_group);
  }, 180000);

  it('records every task whose inputs ran OK before at once, with cached_from, reusing result and result notebook', async () => {
    const m = await map({ params, cache: true });
    expect(m.cached).toBe(3);
    // final at once: nothing was queued
    const rows = await api.status('cached', m.task_group);
    expect(rows.map((r) => [r.status, r.run_status])).toEqual(params.map(() => ['SUCCESS', 'OK']));
    expect(rows.map((r) => r.cached_from)).toEqual(firstRows.map((r) => r.name));
    expect(rows.map((r) => r.results)).toEqual(firstRows.map((r) => r.results));
    expect(rows.map((r) => r.worker)).toEqual(params.map(() => 'cache'));
    // the returned values are the earlier run's (random numbers included), in parameter order
    expect((await results(m.task_group)).results).toEqual((await results(first.task_group)).results);
    const task = await api.call<{ tasks: { cached_from?: string; job_runs: { message: string }[] }[] }>('GET', `/api/jobs/cached/tasks?task_group=${m.task_group}`);
    expect(task.body.tasks[0].cached_from).toBe(firstRows[0].name);
    expect(task.body.tasks[0].job_runs[0].message).toMatch(/^cached: /);
  });

  it('is off by default, and force ignores it', async () => {
    const plain = await map({ params: [1] });
    expect(plain.cached).toBeUndefined();
    const forced = await map({ params: [1], cache: true, force: true });
    expect(forced.cached).toBe(0);
    const rows = await api.waitDone('cached', forced.task_group);
    expect(rows[0].cached_from).toBeUndefined();
    expect(rows[0].worker).not.toBe('cache');
  });

  it('matches a parameter by its canonical JSON (key order, spacing), not by its position; a new parameter runs', async () => {
    const m = await map({ params: ['three', { a: [1, 2], b: 2 }, 4], cache: true });
    expect(m.cached).toBe(2);
    const rows = await api.waitDone('cached', m.task_group);
    expect(rows.map((r) => r.cached_from ?? null)).toEqual([firstRows[2].name, firstRows[1].name, null]);
    expect((await results(m.task_group)).results.map((r) => r.p)).toEqual(['three', { b: 2, a: [1, 2] }, 4]);
  });

  it('keeps every key through a markdown edit (and outputs and metadata); a code edit changes them all', async () => {
    const edited = base() as { cells: Record<string, unknown>[]; metadata: Record<string, unknown> };
    edited.cells[0].source = '# Squares, explained at length';
    edited.cells.push({ cell_type: 'markdown', id: 'extra-md', metadata: {}, source: 'more words' });
    edited.cells[2].outputs = [{ output_type: 'stream', name: 'stdout', text: 'old output\n' }];
    edited.cells[2].metadata = { collapsed: true };
    edited.metadata.authors = [{ name: 'someone' }];
    await api.put('cached', edited);
    const md = await map({ params, cache: true });
    expect(md.cached).toBe(3);

    const code = base() as { cells: Record<string, unknown>[] };
    code.cells[2].source = `${CODE}\n# a comment is code too`;
    await api.put('cached', code);
    const changed = await map({ params, cache: true });
    expect(changed.cached).toBe(0);
    await api.waitDone('cached', changed.task_group);
    // and the new code's runs are cached from now on
    expect((await map({ params, cache: true })).cached).toBe(3);
    await api.put('cached', base());
  });

  it('misses when the kernelspec name changes', async () => {
    const other = base() as { metadata: { kernelspec: Record<string, unknown> } };
    other.metadata.kernelspec = { ...other.metadata.kernelspec, name: 'python3-elsewhere' };
    await api.put('cached', other);
    const m = await map({ params, cache: true });
    expect(m.cached).toBe(0);
    await api.call('POST', '/api/jobs/cached/cancel', { task_group: m.task_group });
    await api.put('cached', base());
    expect((await map({ params, cache: true })).cached).toBe(3);
  });

  it('runs a cached task for real when it is restarted (reset)', async () => {
    const m = await map({ params: [1], cache: true });
    expect(m.cached).toBe(1);
    const restart = await api.call<{ restarted: unknown[] }>('POST', '/api/jobs/cached/restart', { task_group: m.task_group, reset: true });
    expect(restart.body.restarted.length).toBe(1);
    const rows = await api.waitDone('cached', m.task_group);
    expect(rows[0].cached_from).toBeUndefined();
    expect(rows[0].worker).not.toBe('cache');
    expect(rows[0].results).not.toBe(firstRows[0].results);
    // a real run: a new random number
    expect((await results(m.task_group)).results[0].n).not.toBe((await results(first.task_group)).results[0].n);
  });

  it('runs the reduce of a group whose every task was cached', async () => {
    await api.put('cached-sum', notebook([{ source: "job = globals().get('job', {})", tags: ['parameters'] }, "job['result'] = [r['p'] for r in job['results']]"]));
    const m = await map({ params, cache: true, then: { notebook: 'cached-sum' } });
    expect(m.cached).toBe(3);
    const deadline = Date.now() + 120000;
    let reduced: unknown = null;
    while (Date.now() < deadline && reduced === null) {
      reduced = (await results(m.task_group)).reduced ?? null;
      if (reduced === null) await new Promise((r) => setTimeout(r, 300));
    }
    expect(reduced).toEqual(params);
  });
});
