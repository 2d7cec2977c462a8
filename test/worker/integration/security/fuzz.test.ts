/**
 * Property-based tests against the REAL service (Redis, FerretDB, API; no workers, so nothing
 * stored changes by itself): random and hostile requests to every route never get a 5xx, and a
 * rejected request (4xx) leaves notebooks, groups and status exactly as they were.
 */
import fc from 'fast-check';
import type { IRunningStack } from '../../../../worker/src/stack';
import type { TestApi } from '../../support/api';
import { usePrivateStack } from '../../support/private-stack';
import { notebook, PARAM_CELL } from '../../support/notebooks';

let stack: IRunningStack;
let api: TestApi;

const JOBS = ['echo', 'dir/nested'];

usePrivateStack('nbgrid-fuzz-', { workers: 0 }, async (s) => {
  ({ stack, api } = s);
  for (const job of JOBS) {
    await api.put(job, notebook([PARAM_CELL, "job['result'] = job['param']"]));
    await api.map(job, { params: [1, 'two', { three: [3] }] });
  }
});

/** What a rejected request must not change. */
async function snapshot(): Promise<string> {
  const parts: unknown[] = [(await api.call('GET', '/api/notebooks?prefix=')).body];
  for (const job of JOBS) {
    const enc = encodeURIComponent(job);
    parts.push((await api.call('GET', `/api/jobs/${enc}/groups`)).body);
    parts.push((await api.call('GET', `/api/jobs/${enc}/tasks?task_group=*`)).body);
  }
  return JSON.stringify(parts);
}

const hostileName = fc.oneof(
  fc.constantFrom(
    'echo', 'dir/nested', 'nope', '..', '../etc/passwd', 'a/../b', '/etc/passwd', './x', 'a//b', 'a/', '\\x', 'a\u0000b', '%2e%2e',
    'tasks/echo/00000000-0.ipynb', 'results/../x', 'x'.repeat(600), 'echo?x=1', 'echo#frag', '$where', "'; DROP", '{"$gt":""}', 'ü/ñ', '\u202e'
  ),
  fc.string({ maxLength: 40 }),
  fc.fullUnicodeString({ maxLength: 20 })
);

const smallInt = fc.oneof(fc.integer({ min: -30, max: 30 }), fc.constantFrom(1e12, -1e12, 2 ** 53, 0.5, -0.0));
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({ params: fc.oneof(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: [] }),
  fc.record(
    {
      range: fc.record({ start: smallInt, stop: smallInt, step: smallInt }, { requiredKeys: [] }),
      require: fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom('gpu', '', '../x', 'a b', '$ne')),
      cell_timeout: fc.oneof(fc.double(), fc.string({ maxLength: 3 }), fc.constant(null)),
      task_group: fc.oneof(fc.hexaString({ minLength: 8, maxLength: 8 }), fc.string({ maxLength: 10 }), fc.constantFrom('*', { $ne: 1 })),
      reset: fc.oneof(fc.boolean(), fc.string({ maxLength: 3 })),
      refresh: fc.jsonValue({ maxDepth: 1 }),
      extra: fc.jsonValue({ maxDepth: 1 })
    },
    { requiredKeys: [] }
  ),
  fc.record({ content: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'code' }] })) }),
  // Raw text: broken JSON, prototype pollution, deep nesting.
  fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.constantFrom('{"params": [1, NaN]}', '{"__proto__": {"admin": true}, "params": [1]}', '{"constructor": {"prototype": {}}}', '['.repeat(5000), '{"params": [1]', 'null')
  ).map((raw) => ({ raw }))
);

type Req = { method: string; route: string; body: unknown; contentType: string };

const request: fc.Arbitrary<Req> = fc.record({
  name: hostileName,
  encode: fc.boolean(),
  kind: fc.constantFrom('nb-put', 'nb-get', 'nb-del', 'nb-list', 'map', 'restart', 'cancel', 'status', 'tasks', 'results', 'groups', 'workers', 'health', 'openapi', 'other'),
  method: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH'),
  query: fc.oneof(fc.constant(''), fc.string({ maxLength: 20 }).map((q) => `?task_group=${encodeURIComponent(q)}`), fc.constantFrom('?task_group=*', '?task_group[$ne]=1', '?prefix[$regex]=.*', '?prefix=%00')),
  body,
  contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1')
}).map((r) => {
  const seg = r.encode ? encodeURIComponent(r.name) : r.name.split('/').map(encodeURIComponent).join('/');
  const job = encodeURIComponent(r.name);
  const routes: Record<string, [string, string]> = {
    'nb-put': ['PUT', `/api/notebooks/${seg}`], 'nb-get': ['GET', `/api/notebooks/${seg}`], 'nb-del': ['DELETE', `/api/notebooks/${seg}`],
    'nb-list': ['GET', `/api/notebooks${r.query.replace('task_group', 'prefix')}`], map: ['POST', `/api/jobs/${job}/map`],
    restart: ['POST', `/api/jobs/${job}/restart`], cancel: ['POST', `/api/jobs/${job}/cancel`], status: ['GET', `/api/jobs/${job}/status${r.query}`],
    tasks: ['GET', `/api/jobs/${job}/tasks${r.query}`], results: ['GET', `/api/jobs/${job}/results${r.query}`], groups: ['GET', `/api/jobs/${job}/groups`],
    workers: ['GET', '/api/workers'], health: ['GET', '/api/health'], openapi: ['GET', '/api/openapi.json'], other: [r.method, `/api/${seg}`]
  };
  const [method, route] = routes[r.kind];
  return { method, route, body: r.body, contentType: r.contentType };
});

async function send(req: Req): Promise<{ status: number; text: string }> {
  const raw = req.body !== null && typeof req.body === 'object' && 'raw' in (req.body as object) ? String((req.body as { raw: string }).raw) : undefined;
  const payload = raw ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
  const hasBody = payload !== undefined && req.method !== 'GET';
  const res = await fetch(stack.info.api_url + req.route, {
    method: req.method,
    headers: { Authorization: `token ${stack.info.token}`, ...(hasBody ? { 'Content-Type': req.contentType } : {}) },
    body: hasBody ? payload : undefined
  });
  return { status: res.status, text: await res.text() };
}

it('hostile requests to every route: never a 5xx, and a rejected request changes nothing stored', async () => {
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(request, async (req) => {
      const before = await snapshot();
      const res = await send(req);
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      if (res.status >= 500) throw new Error(`${req.method} ${req.route} → ${res.status} ${res.text}`);
      if (res.status >= 400) {
        const parsed = JSON.parse(res.text) as { message?: unknown };
        if (typeof parsed.message !== 'string' || parsed.message.length < 10) throw new Error(`no useful message: ${res.text}`);
        const after = await snapshot();
        if (after !== before) throw new Error(`${req.method} ${req.route} → ${res.status} changed stored data`);
      }
    }),
    { numRuns: 300, seed: Number(process.env.NBGRID_FUZZ_SEED ?? Date.now() % 2 ** 31) }
  );
  // The generator reached both sides: accepted and rejected requests.
  expect([...seen.keys()].some((s) => s < 300)).toBe(true);
  expect([...seen.keys()].filter((s) => s >= 400).length).toBeGreaterThanOrEqual(3);
}, 300000);
