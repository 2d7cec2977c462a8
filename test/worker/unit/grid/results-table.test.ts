import { JsonText, responseJson } from '../../../../worker/src/domain/json-bytes';
import type { IExactTask } from '../../../../worker/src/domain/task-repository';
import type { ITask } from '../../../../worker/src/domain/types';
import { buildResultsTable as buildFromSources, sourceOfTask, tableCsv, tableJson } from '../../../../worker/src/jobs/results-table';

const buildResultsTable = (g: string, tasks: IExactTask[]) => buildFromSources(g, tasks.map(sourceOfTask));
import { extractScraps, scrapsBytes } from '../../../../worker/src/notebooks/scraps';

function task(i: number, param: string, ok: boolean, result?: string, scraps?: [string, unknown][]): IExactTask {
  const t: ITask = {
    name: `tasks/main/0a1b2c3d-${i}`,
    job: 'main',
    task_group: '0a1b2c3d',
    job_id: i,
    param: JSON.parse(param),
    main_sha256: 'x',
    task_id: `id${i}`,
    state: ok ? 'SUCCESS' : 'FAILURE',
    run_status: ok ? 'OK' : 'ERROR',
    require: 'default',
    cell_timeout: null,
    job_runs: [{ status: ok ? 'OK' : 'ERROR', ts: 't', message: '', results: null, duration: 1.5 + i, worker: 'w', attempt: 1, task_id: `id${i}` }],
    runs_total: 1,
    worker: 'w',
    created: 't',
    updated: 't'
  };
  return {
    task: t,
    param: new JsonText(param),
    ...(result !== undefined ? { result: new JsonText(result) } : {}),
    ...(scraps ? { scraps: new JsonText(JSON.stringify(scraps)) } : {})
  };
}

/** A display_data output as scrapbook's glue writes it. */
const glued = (name: string, data: unknown, encoder = 'json') => ({
  output_type: 'display_data',
  data: { [`application/scrapbook.scrap.${encoder}+json`]: { name, data, encoder, version: 1 } },
  metadata: { scrapbook: { name, data: true, display: false } }
});

describe('scraps', () => {
  it('are read from glue outputs: json and text encoders, a later glue replacing the value in place', () => {
    const nb = {
      cells: [
        { cell_type: 'code', outputs: [glued('acc', 0.5), { output_type: 'stream', name: 'stdout', text: 'x' }] },
        { cell_type: 'markdown', source: '' },
        { cell_type: 'code', outputs: [glued('label', 'hi', 'text'), glued('df', 'QVJST1c=', 'arrow'), glued('acc', 0.75)] }
      ]
    };
    expect(extractScraps(nb)).toEqual([
      ['acc', 0.75],
      ['label', 'hi']
    ]);
    expect(JSON.parse(String(scrapsBytes(nb)))).toEqual([
      ['acc', 0.75],
      ['label', 'hi']
    ]);
    expect(scrapsBytes({ cells: [] })).toBeUndefined();
  });
});

describe('the results table', () => {
  it('has parameter, result, scrap and status columns, one row per task in order; failed rows have no values', () => {
    const table = buildResultsTable('0a1b2c3d', [
      task(0, '{"alpha":0.1,"n":10}', true, '{"loss":1.25,"n":3}', [['acc', 0.5]]),
      task(1, '{"alpha":0.5,"n":10}', false, undefined),
      task(2, '{"alpha":0.1,"n":100}', true, '{"loss":1e400}', [['acc', 0.9], ['note', 'a,"b"']])
    ]);
    expect(table.columns).toEqual(['alpha', 'n', 'loss', 'result.n', 'acc', 'note', 'status', 'run_status', 'duration', 'name']);
    expect(table.kinds).toEqual(['param', 'param', 'result', 'result', 'scrap', 'scrap', 'status', 'status', 'status', 'status']);
    const json = JSON.parse(responseJson(table).replace('1e400', '"1e400"'));
    expect(json.rows).toEqual([
      [0.1, 10, 1.25, 3, 0.5, null, 'SUCCESS', 'OK', 1.5, 'tasks/main/0a1b2c3d-0'],
      [0.5, 10, null, null, null, null, 'FAILURE', 'ERROR', 2.5, 'tasks/main/0a1b2c3d-1'],
      [0.1, 100, '1e400', null, 0.9, 'a,"b"', 'SUCCESS', 'OK', 3.5, 'tasks/main/0a1b2c3d-2']
    ]);
    // The stored text is sent as it is (1e400 is no JavaScript number).
    expect(responseJson(table)).toContain('1e400');
    expect(tableCsv(table).split('\r\n')).toEqual([
      'alpha,n,loss,result.n,acc,note,status,run_status,duration,name',
      '0.1,10,1.25,3,0.5,,SUCCESS,OK,1.5,tasks/main/0a1b2c3d-0',
      '0.5,10,,,,,FAILURE,ERROR,2.5,tasks/main/0a1b2c3d-1',
      '0.1,100,1e400,,0.9,"a,""b""",SUCCESS,OK,3.5,tasks/main/0a1b2c3d-2',
      ''
    ]);
  });

  it('uses param and result columns for values that are not objects', () => {
    const table = buildResultsTable('0a1b2c3d', [task(0, '3', true, '[1, 2]'), task(1, '{"a":1}', true, '"x"')]);
    expect(table.columns).toEqual(['param', 'result', 'status', 'run_status', 'duration', 'name']);
    expect(JSON.parse(responseJson(table)).rows.map((r: unknown[]) => r.slice(0, 2))).toEqual([
      [3, [1, 2]],
      [{ a: 1 }, 'x']
    ]);
  });

  it('prefixes a parameter named like a status column', () => {
    const table = buildResultsTable('0a1b2c3d', [task(0, '{"status":1,"name":"a"}', true, undefined)]);
    expect(table.columns).toEqual(['param.status', 'param.name', 'result', 'status', 'run_status', 'duration', 'name']);
  });
});

describe('the results table cache', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { ResultsTableCache } = require('../../../../worker/src/jobs/results-table-cache') as typeof import('../../../../worker/src/jobs/results-table-cache');
  const table = (g: string) => buildResultsTable(g, [task(0, '1', true, '2')]);

  it('answers a table only for the status rows it was built after, and keeps the latest few', () => {
    const cache = new ResultsTableCache(2);
    const rows = ResultsTableCache.fingerprint('[{"status":"SUCCESS"}]');
    cache.set('g1', rows, table('g1'));
    expect(cache.get('g1', rows)?.task_group).toBe('g1');
    expect(cache.get('g1', ResultsTableCache.fingerprint('[{"status":"FAILURE"}]'))).toBeUndefined();
    cache.set('g2', rows, table('g2'));
    cache.get('g1', rows); // g1 used last: g2 is the oldest now
    cache.set('g3', rows, table('g3'));
    expect([cache.get('g1', rows), cache.get('g2', rows), cache.get('g3', rows)].map((t) => t?.task_group)).toEqual(['g1', undefined, 'g3']);
  });
});

describe('the format=table answer', () => {
  it('is the text responseJson writes, for every kind of cell', () => {
    const tables = [
      buildResultsTable('0a1b2c3d', [
        task(0, '{"alpha": 0.10, "n": 10, "we\\"ird": [1, {"b": 2}]}', true, '{"loss": 1e400, "x": NaN}', [['acc', 0.5], ['q"uote\\', 'a,"b"\n']]),
        task(1, '{"alpha":0.5,"n":10}', false, undefined),
        task(2, '{"alpha":0.1,"n":100, "\\u0000rows": 1}', true, '{"loss": -Infinity}', [['acc', null]])
      ]),
      buildResultsTable('0a1b2c3d', [task(0, '3', true, '[1, NaN, 12345678901234567890]'), task(1, '{"a":1}', true, '"x \\u2028 y"')]),
      buildResultsTable('0a1b2c3d', [])
    ];
    for (const table of tables) {
      expect(tableJson(table)).toBe(responseJson(table));
      expect(tableJson(table)).toBe(tableJson(table)); // kept: the same text again
    }
    expect(JSON.parse(tableJson(tables[0])).columns).toContain('\u0000rows');
  });

  it('keys with escapes and scrap names with escapes are read as JSON reads them', () => {
    const table = buildResultsTable('0a1b2c3d', [task(0, '{"a\\u0062": 1, "c\\"d": 2}', true, undefined, [['e\\f', 1]])]);
    expect(table.columns.slice(0, 3)).toEqual(['ab', 'c"d', 'e\\f']);
  });
});
