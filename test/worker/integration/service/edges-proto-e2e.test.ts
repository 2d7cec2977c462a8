/**
 * Issue 14: `{"__proto__": 1}` in a parameter is valid JSON and is data all the way: through the
 * service, MongoDB, the rendered task notebook, the kernel and back as a returned value. Runs a
 * private stack (worker/dist must be built: `make build`).
 */
import type { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { usePrivateStack } from '../../support/private-stack';

let api: TestApi;

usePrivateStack('nbgrid-edges-proto-', { workers: 1 }, (s) => {
  ({ api } = s);
});

const PARAMS_JSON = [
  '{"__proto__":1}',
  '{"__proto__":{"polluted":"yes"},"b":2}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"prototype":[{"__proto__":null}]}'
];
const PARAMS_TEXT = `[${PARAMS_JSON.join(',')}]`;

/** The raw answer text, so keys JavaScript would treat specially are compared as sent. */
async function getText(route: string): Promise<{ status: number; text: string }> {
  const res = await api.call<unknown>('GET', route);
  return { status: res.status, text: JSON.stringify(res.body) };
}

it('maps parameters with __proto__, constructor and prototype keys and returns them exactly', async () => {
  await api.put('proto', notebook([PARAM_CELL, "print(sorted(job['param']))\njob['result'] = job['param']"]));
  const map = await api.call<{ task_group: string }>('POST', '/api/jobs/proto/map', `{"params":${PARAMS_TEXT}}`);
  expect(map.status).toBe(201);
  const group = map.body.task_group;

  const rows = await api.waitDone('proto', group);
  expect(rows.map((r) => [r.status, r.run_status, r.message])).toEqual(PARAMS_JSON.map(() => ['SUCCESS', 'OK', '']));

  const tasks = await api.call<{ tasks: { param: unknown }[] }>('GET', `/api/jobs/proto/tasks?task_group=${group}`);
  expect(tasks.body.tasks.map((t) => JSON.stringify(t.param))).toEqual(PARAMS_JSON);

  const results = await getText(`/api/jobs/proto/results?task_group=${group}`);
  expect(results.status).toBe(200);
  expect(results.text).toContain(`"results":${PARAMS_TEXT}`);

  // The rendered task notebook's injected `job` holds the key as a plain dict key.
  const task = await api.call<{ content: { cells: { source: string | string[]; metadata: { tags?: string[] } }[] } }>(
    'GET',
    `/api/notebooks/tasks/proto/${group}-0.ipynb`
  );
  expect(task.status).toBe(200);
  const injected = task.body.content.cells.find((c) => (c.metadata.tags ?? []).includes('injected-parameters'));
  expect(([] as string[]).concat(injected?.source ?? []).join('')).toMatch(/__proto__\\?['"]: ?1/);
}, 180000);
