/**
 * Grids and results tables on the real stack (Redis, FerretDB, Kernel Gateway, API service, two
 * workers; worker/dist must be built): a 2 x 3 grid is mapped, one task raises, the values glued
 * with scrapbook come back in the table; status, restart and cancel work as for any map; bad grids
 * are refused before anything is stored; the results read model the workers write answers the
 * same table, also after Redis lost it; the Python client's grid(), map(df), parameters() and
 * results(as_frame=True) against the same service.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import Redis from 'ioredis';
import type { IStackInfo } from '../../../../worker/src/stack';
import type { TestApi } from '../../support/api';
import { notebook } from '../../support/notebooks';
import { usePrivateStack } from '../../support/private-stack';

const ROOT = resolve(__dirname, '../../../..');
let api: TestApi;
let info: IStackInfo;

usePrivateStack('nbgrid-grid-', { workers: 2 }, (s) => {
  ({ api } = s);
  info = s.stack.info;
});

/** A papermill-style notebook: defaults in the parameters cell, values glued with scrapbook. */
const sweep = notebook([
  { source: 'alpha = 0.5  # learning rate\nn: int = 10', tags: ['parameters'] },
  // Reads the grid's object from job['param'] (with or without one variable per key injected).
  "p = globals().get('job', {'param': {}})['param']\nalpha = p.get('alpha', alpha)\nn = p.get('n', n)",
  [
    'import scrapbook as sb',
    "if alpha == 0.9 and n == 3: raise ValueError('diverged')",
    "sb.glue('acc', round(alpha * n, 6))",
    "sb.glue('label', f'a{alpha}-n{n}', encoder='text')",
    "job['result'] = {'loss': round(alpha / n, 6)}"
  ].join('\n')
]);

const jobRoute = (tail: string) => `/api/jobs/sweep/${tail}`;

async function groupCount(): Promise<number> {
  return (await api.call<{ groups: unknown[] }>('GET', jobRoute('groups'))).body.groups.length;
}

describe('a grid map', () => {
  let group = '';

  beforeAll(async () => {
    await api.put('sweep', sweep);
  });

  it("serves the notebook's parameters as papermill reads them", async () => {
    const res = await api.call<{ has_parameters_cell: boolean; parameters: unknown[] }>('GET', jobRoute('parameters'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      job: 'sweep',
      has_parameters_cell: true,
      parameters: [
        { name: 'alpha', inferred_type_name: 'None', default: '0.5', help: 'learning rate', identifier: true },
        { name: 'n', inferred_type_name: 'int', default: '10', help: '', identifier: true }
      ]
    });
    expect((await api.call('GET', '/api/jobs/nope/parameters')).status).toBe(404);
  });

  it('refuses bad grids with a 400 that says what to fix, storing nothing', async () => {
    const before = await groupCount();
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ grid: { alpha: [0.1, 0.5], n: [1, 2, 3] }, mode: 'zip' }, /grid\/alpha has 2 values and grid\/n has 3/],
      [{ grid: Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`p${i}`, Array.from({ length: 10 }, (_, j) => j)])) }, /1000000 tasks.*at most 100000/],
      [{ grid: { alpha: [1] }, params: [1] }, /grid and also params or range/],
      [{ grid: { alpha: [] } }, /grid\/alpha is an empty list/],
      [{ grid: {} }, /grid is empty/],
      [{ params: [1], mode: 'zip' }, /mode but no grid/],
      [{ grid: { alpha: [1] }, mode: 'cross' }, /mode/]
    ];
    for (const [body, message] of bad) {
      const res = await api.call<{ message: string }>('POST', jobRoute('map'), body);
      expect([res.status, res.body.message]).toEqual([400, expect.stringMatching(message)]);
    }
    expect(await groupCount()).toBe(before);
  });

  it('maps the product, one object per task, and its results come back as a table with glued values', async () => {
    const m = await api.map('sweep', { grid: { alpha: [0.1, 0.9], n: [1, 2, 3] } });
    group = m.task_group;
    expect(m.count).toBe(6);
    expect(m.warnings).toEqual([]);
    const rows = await api.waitDone('sweep', group, 240000);
    expect(rows.map((r) => `${r.status} ${r.message.split('\n')[0]}`)).toEqual([
      'SUCCESS ', 'SUCCESS ', 'SUCCESS ', 'SUCCESS ', 'SUCCESS ', expect.stringMatching(/^FAILURE ValueError: diverged/)
    ]);
    const tasks = await api.call<{ tasks: { param: unknown }[] }>('GET', jobRoute(`tasks?task_group=${group}`));
    expect(tasks.body.tasks.map((t) => t.param)).toEqual([
      { alpha: 0.1, n: 1 }, { alpha: 0.1, n: 2 }, { alpha: 0.1, n: 3 },
      { alpha: 0.9, n: 1 }, { alpha: 0.9, n: 2 }, { alpha: 0.9, n: 3 }
    ]);

    const table = await api.call<{ columns: string[]; kinds: string[]; rows: unknown[][] }>('GET', jobRoute(`results?task_group=${group}&format=table`));
    expect(table.status).toBe(200);
    expect(table.body.columns).toEqual(['alpha', 'n', 'loss', 'acc', 'label', 'status', 'run_status', 'duration', 'name']);
    expect(table.body.rows.map((r) => r.slice(0, 7))).toEqual([
      [0.1, 1, 0.1, 0.1, 'a0.1-n1', 'SUCCESS', 'OK'],
      [0.1, 2, 0.05, 0.2, 'a0.1-n2', 'SUCCESS', 'OK'],
      [0.1, 3, 0.033333, 0.3, 'a0.1-n3', 'SUCCESS', 'OK'],
      [0.9, 1, 0.9, 0.9, 'a0.9-n1', 'SUCCESS', 'OK'],
      [0.9, 2, 0.45, 1.8, 'a0.9-n2', 'SUCCESS', 'OK'],
      [0.9, 3, null, null, null, 'FAILURE', 'ERROR']
    ]);
    expect(table.body.rows.map((r) => r[8])).toEqual(rows.map((r) => r.name));
    expect(table.body.rows.every((r) => typeof r[7] === 'number')).toBe(true);

    const csv = await fetch(`${info.api_url}${jobRoute(`results?task_group=${group}&format=csv`)}`, { headers: { Authorization: `token ${info.token}` } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).split('\r\n');
    expect(lines[0]).toBe('alpha,n,loss,acc,label,status,run_status,duration,name');
    expect(lines).toHaveLength(8); // header, 6 rows, the final line end
    expect(lines[6]).toMatch(/^0\.9,3,,,,FAILURE,ERROR,[\d.]+,tasks\/sweep\/[0-9a-f]{8}-5$/);

    // The plain list is unchanged by grids.
    const list = await api.call<{ results: unknown[]; missing: number[] }>('GET', jobRoute(`results?task_group=${group}`));
    expect(list.body.missing).toEqual([5]);
    expect(list.body.results[0]).toEqual({ loss: 0.1 });
  });

  it('restarts and cancels like any map', async () => {
    const restarted = await api.call<{ restarted: { name: string }[] }>('POST', jobRoute('restart'), { task_group: group });
    expect(restarted.body.restarted.map((t) => t.name)).toEqual([`tasks/sweep/${group}-5`]);
    const rows = await api.waitDone('sweep', group, 240000);
    expect(rows.map((r) => r.run_status)).toEqual(['OK', 'OK', 'OK', 'OK', 'OK', 'ERROR']);
    const zip = await api.map('sweep', { grid: { alpha: [0.1, 0.2, 0.3], n: [4, 5, 6] }, mode: 'zip', require: 'nobody-serves-this' });
    expect(zip.count).toBe(3);
    const cancelled = await api.call<{ revoked: number }>('POST', jobRoute('cancel'), { task_group: zip.task_group });
    expect(cancelled.body.revoked).toBe(3);
    const table = await api.call<{ columns: string[]; rows: unknown[][] }>('GET', jobRoute(`results?task_group=${zip.task_group}&format=table`));
    expect(table.body.columns.slice(0, 3)).toEqual(['alpha', 'n', 'result']);
    expect(table.body.rows.map((r) => [r[0], r[1], r[3]])).toEqual([[0.1, 4, 'REVOKED'], [0.2, 5, 'REVOKED'], [0.3, 6, 'REVOKED']]);
  });

  it("answers the table from the read model the workers wrote, and the same after Redis lost it and a task was run again", async () => {
    const redis = new Redis(info.redis_url);
    try {
      const key = `nbgrid:results:v1:${group}`;
      type Table = { columns: string[]; rows: unknown[][] };
      const table = async () => (await api.call<Table>('GET', jobRoute(`results?task_group=${group}&format=table`))).body;
      // One row per OK task, written by the workers as they recorded the runs.
      expect((await redis.hkeys(key)).sort()).toEqual(['0', '1', '2', '3', '4']);
      const before = await table();

      // Redis loses everything (as a restart without persistence does); the failed task runs again,
      // so its status row changes and the service builds the table anew, from MongoDB.
      await redis.flushall();
      const failed = `tasks/sweep/${group}-5`;
      const again = await api.call<{ restarted: { name: string }[] }>('POST', jobRoute('restart'), { task_group: group, tasks: [failed] });
      expect(again.body.restarted.map((t) => t.name)).toEqual([failed]);
      await api.waitDone('sweep', group, 240000);
      const after = await table();
      expect(after.columns).toEqual(before.columns);
      expect(after.rows.slice(0, 5)).toEqual(before.rows.slice(0, 5));
      expect(after.rows[5].slice(0, 7)).toEqual([0.9, 3, null, null, null, 'FAILURE', 'ERROR']);
      expect((await redis.hkeys(key)).sort()).toEqual(['0', '1', '2', '3', '4']); // written back by that read

      // An OK task run again: its row follows its new task id.
      const first = `tasks/sweep/${group}-0`;
      const rerun = await api.call<{ restarted: { name: string; task_id: string }[] }>('POST', jobRoute('restart'), { task_group: group, tasks: [first] });
      await api.waitDone('sweep', group, 240000);
      expect(await redis.hget(key, '0')).toContain(rerun.body.restarted[0].task_id);
      const rerunTable = await table();
      expect(rerunTable.rows[0].slice(0, 7)).toEqual(before.rows[0].slice(0, 7));
      expect(rerunTable.rows.slice(1, 5)).toEqual(before.rows.slice(1, 5));
    } finally {
      redis.disconnect();
    }
  });

  it('warns about a parameter name the notebook does not declare', async () => {
    const m = await api.map('sweep', { grid: { alpha: [0.1], beta: [1] }, require: 'nobody-serves-this' });
    expect(m.warnings.join('\n')).toMatch(/passed unknown parameter\(s\) "beta": notebook 'sweep' declares alpha, n/);
    await api.call('POST', jobRoute('cancel'), { task_group: m.task_group });
  });

  it('works from the Python client: grid(), map(DataFrame), parameters(), results(as_frame=True)', () => {
    const code = `
import json, warnings
import pandas as pd
from nbgrid import om
job = om.runtime.job('sweep')
out = {'parameters': list(job.parameters())}
g = job.grid(alpha=[0.1], n=[1, 2])
g.wait(timeout=240, progress=False)
df = g.results(as_frame=True)
out['grid_columns'] = list(df.columns)
out['grid_rows'] = df[['alpha', 'n', 'loss', 'acc', 'status']].values.tolist()
frame = pd.DataFrame({'alpha': [0.9, 0.1], 'n': [2, 3]})
d = job.map(frame)
d.wait(timeout=240, progress=False)
out['df_rows'] = job.results(as_frame=True)[['alpha', 'n', 'acc', 'run_status']].values.tolist()
out['df_types'] = [type(v).__name__ for v in job.tasks(task_group=str(d))[0]['param'].values()]
print(json.dumps(out))
`;
    const r = spawnSync(resolve(ROOT, '.venv/bin/python'), ['-c', code], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: ROOT, NBGRID_URL: info.api_url, NBGRID_TOKEN: info.token },
      timeout: 600000
    });
    if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    expect(out.parameters).toEqual(['alpha', 'n']);
    expect(out.grid_columns).toEqual(['alpha', 'n', 'loss', 'acc', 'label', 'status', 'run_status', 'duration', 'name']);
    expect(out.grid_rows).toEqual([[0.1, 1, 0.1, 0.1, 'SUCCESS'], [0.1, 2, 0.05, 0.2, 'SUCCESS']]);
    expect(out.df_rows).toEqual([[0.9, 2, 1.8, 'OK'], [0.1, 3, 0.3, 'OK']]);
    // numpy scalars of the DataFrame travel as plain JSON numbers: a float and an int.
    expect(out.df_types).toEqual(['float', 'int']);
  });
});
