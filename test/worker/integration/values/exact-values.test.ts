/**
 * Issue 14, against a private stack (worker/dist must be built: `make build`): parameters and
 * returned values reach the kernel and come back exactly as sent, in both directions — big ints,
 * `1.0` vs `1`, `-0.0`, `10**30` (an int), keys that look like integers in their order — and a
 * returned value JSON cannot carry fails the run, naming the type and where it is.
 */
import type { IStackInfo } from '../../../../worker/src/stack';
import type { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { usePrivateStack } from '../../support/private-stack';

jest.setTimeout(180000);

let api: TestApi;
let info: IStackInfo;

usePrivateStack('nbgrid-values-', { workers: 1 }, (s) => {
  ({ api } = s);
  info = s.stack.info;
});

/** The raw answer text: JSON.parse would change the very numbers under test. */
async function getText(route: string): Promise<string> {
  const res = await fetch(info.api_url + route, { headers: { Authorization: `token ${info.token}` } });
  expect(res.status).toBe(200);
  return res.text();
}

async function postText(route: string, body: string): Promise<{ task_group: string }> {
  const res = await fetch(info.api_url + route, {
    method: 'POST',
    headers: { Authorization: `token ${info.token}`, 'Content-Type': 'application/json' },
    body
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { task_group: string };
}

// Each parameter as JSON text and as Python's repr of what json.loads makes of it.
const CASES: [string, string][] = [
  ['9007199254740993', '9007199254740993'],
  ['-1180591620717411303424', '-1180591620717411303424'],
  ['1.0', '1.0'],
  ['1', '1'],
  ['-0.0', '-0.0'],
  ['1000000000000000000000000000000', '1000000000000000000000000000000'],
  ['0.1', '0.1'],
  ['{"2":"b","1":"a","10":[1.5,-0.0]}', "{'2': 'b', '1': 'a', '10': [1.5, -0.0]}"]
];

it('passes parameters to the kernel and returned values back exactly', async () => {
  await api.put(
    'exact',
    notebook([PARAM_CELL, "p = job['param']\nprint(repr(p))\njob['result'] = [repr(p), p, type(p).__name__]"])
  );
  const body = `{"params": [${CASES.map(([text]) => text).join(', ')}]}`;
  const { task_group: group } = await postText('/api/jobs/exact/map', body);
  const rows = await api.waitDone('exact', group);
  expect(rows.map((r) => r.run_status)).toEqual(CASES.map(() => 'OK'));

  // The kernel saw exactly the values sent (its own repr).
  for (let i = 0; i < CASES.length; i++) {
    const result = await api.call<{ content: { cells: { outputs?: { text?: string }[] }[] } }>(
      'GET',
      `/api/notebooks/${rows[i].results!.split('/').map(encodeURIComponent).join('/')}`
    );
    const printed = result.body.content.cells.flatMap((c) => c.outputs ?? []).map((o) => o.text ?? '').join('');
    expect(printed).toBe(`${CASES[i][1]}\n`);
  }

  // And the returned values come back as the kernel wrote them.
  const results = await getText(`/api/jobs/exact/results?task_group=${group}`);
  const expected = CASES.map(([text, repr]) => `[${JSON.stringify(repr)},${text},${JSON.stringify(typeName(text))}]`);
  expect(results).toBe(`{"task_group":"${group}","results":[${expected.join(',')}],"missing":[]}`);

  // The tasks carry each parameter as sent, and its result.
  const tasks = await getText(`/api/jobs/exact/tasks?task_group=${group}`);
  for (const [text] of CASES) expect(tasks).toContain(`"param":${text},`);
  for (const e of expected) expect(tasks).toContain(`"result":${e}`);

  // The rendered task notebook shows the parameter as sent too.
  const task = await api.call<{ content: { cells: { source: string; metadata: { tags?: string[] } }[] } }>(
    'GET',
    `/api/notebooks/tasks/exact/${group}-7.ipynb`
  );
  const injected = task.body.content.cells.find((c) => (c.metadata.tags ?? []).includes('injected-parameters'));
  expect(injected?.source).toContain(`"param": ${CASES[7][0]}`);
});

function typeName(text: string): string {
  if (text.startsWith('{')) return 'dict';
  return /[.eE]/.test(text) ? 'float' : 'int';
}

it('returns numpy values exactly and fails, naming type and path, on values JSON cannot carry', async () => {
  await api.put(
    'numpy',
    notebook([
      PARAM_CELL,
      [
        'import numpy as np, datetime',
        'values = {',
        "  'numpy': {'i': np.int64(2**62 + 1), 'f': np.float64(0.1), 'b': np.bool_(True), 'a': np.array(3), 'big': 10**30},",
        "  'set': {'x': [0, 1, 2, {3}]},",
        "  'nan': [float('nan')],",
        "  'datetime': datetime.datetime(2020, 1, 2),",
        '}',
        "job['result'] = values[job['param']]"
      ].join('\n')
    ])
  );
  const { task_group: group } = await postText('/api/jobs/numpy/map', '{"params": ["numpy", "set", "nan", "datetime"]}');
  const rows = await api.waitDone('numpy', group);
  expect(rows.map((r) => [r.status, r.run_status])).toEqual([
    ['SUCCESS', 'OK'],
    ['FAILURE', 'ERROR'],
    ['FAILURE', 'ERROR'],
    ['FAILURE', 'ERROR']
  ]);
  expect(rows[1].message).toContain("job['result']['x'][3] is a set: return a list");
  expect(rows[2].message).toContain("job['result'][0] is nan");
  expect(rows[3].message).toContain("job['result'] is a datetime: return .isoformat()");
  const results = await getText(`/api/jobs/numpy/results?task_group=${group}`);
  expect(results).toBe(
    `{"task_group":"${group}","results":[{"i":${2n ** 62n + 1n},"f":0.1,"b":true,"a":3,"big":1000000000000000000000000000000},null,null,null],"missing":[1,2,3]}`
  );
});
