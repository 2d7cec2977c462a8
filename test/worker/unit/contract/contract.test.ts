/**
 * The API contract is written once, as the TypeBox schemas in worker/src/schemas/. This test fails
 * when a copy drifts from them: the OpenAPI document the service serves, the Python client's
 * status columns and final states, and the field lists of docs/api.md.
 */
import { Type } from '@sinclair/typebox';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ACTIVE_STATES, FINAL_STATES, QUEUE_STATES, RUN_STATUSES } from '../../../../worker/src/domain/queue-states';
import * as schemas from '../../../../worker/src/schemas';
import { AUTH, makeApp } from '../service/helpers';
import { shape } from './shape';

const ROOT = resolve(__dirname, '../../../..');

/** Every route: method, OpenAPI path, and its schema in worker/src/schemas/. */
const ROUTES: [string, string, Record<string, unknown>][] = [
  ['get', '/api/notebooks', schemas.listNotebooksSchema],
  ['put', '/api/notebooks/{*}', schemas.putNotebookSchema],
  ['get', '/api/notebooks/{*}', schemas.getNotebookSchema],
  ['delete', '/api/notebooks/{*}', schemas.deleteNotebookSchema],
  ['post', '/api/jobs/{name}/map', schemas.mapSchema],
  ['get', '/api/jobs/{name}/status', schemas.statusSchema],
  ['get', '/api/jobs/{name}/tasks', schemas.tasksSchema],
  ['post', '/api/jobs/{name}/restart', schemas.restartSchema],
  ['post', '/api/jobs/{name}/cancel', schemas.cancelSchema],
  ['get', '/api/jobs/{name}/results', schemas.resultsSchema],
  ['get', '/api/jobs/{name}/groups', schemas.groupsSchema],
  ['get', '/api/workers', schemas.workersSchema],
  ['get', '/api/health', schemas.healthSchema],
  ['get', '/api/openapi.json', schemas.openapiSchema],
  ['get', '/api/events', schemas.eventsSchema],
  ['get', '/api/jobs/{name}/progress', schemas.progressSchema],
  ['get', '/api/jobs/{name}/tasks/{task}/partial', schemas.partialSchema],
  ['get', '/api/jobs/{name}/parameters', schemas.parametersSchema],
  ['post', '/api/schedules', schemas.createScheduleSchema],
  ['get', '/api/schedules', schemas.listSchedulesSchema],
  ['get', '/api/schedules/{id}', schemas.getScheduleSchema],
  ['post', '/api/schedules/{id}/pause', schemas.pauseScheduleSchema],
  ['post', '/api/schedules/{id}/resume', schemas.resumeScheduleSchema],
  ['delete', '/api/schedules/{id}', schemas.deleteScheduleSchema],
  ['post', '/api/schedules/{id}/run', schemas.runScheduleSchema],
  ['post', '/api/gc', schemas.cleanupSchema]
];

interface IOperation {
  parameters?: { in: string; name: string; schema: unknown; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

let doc: { paths: Record<string, Record<string, IOperation>> };

beforeAll(async () => {
  const t = makeApp();
  const res = await t.app.inject({ url: '/api/openapi.json', headers: AUTH });
  expect(res.statusCode).toBe(200);
  doc = res.json();
  await t.app.close();
});

/** Reads `names` from Python files without importing them (the client must not be needed here). */
function pythonConstants(file: string, names: string[]): Record<string, unknown> {
  const code = [
    'import ast, json, sys',
    'tree = ast.parse(open(sys.argv[1]).read())',
    'out = {}',
    'for node in tree.body:',
    '    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and node.targets[0].id in sys.argv[2:]:',
    '        value = node.value',
    "        if isinstance(value, ast.Call) and getattr(value.func, 'id', '') == 'frozenset':",
    '            value = value.args[0]',
    '        v = ast.literal_eval(value)',
    '        out[node.targets[0].id] = sorted(v) if isinstance(v, (set, frozenset)) else list(v)',
    'print(json.dumps(out))'
  ].join('\n');
  const r = spawnSync('python3', ['-c', code, resolve(ROOT, file), ...names], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  const found = JSON.parse(r.stdout) as Record<string, unknown>;
  for (const name of names) if (!(name in found)) throw new Error(`${file} no longer defines ${name}`);
  return found;
}

const statusRowKeys = Object.keys(schemas.StatusRowSchema.properties);

describe('the OpenAPI document', () => {
  it('has exactly the routes the schemas describe', () => {
    const served = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(served.sort()).toEqual(ROUTES.map(([m, p]) => `${m} ${p}`).sort());
  });

  it.each(ROUTES)('%s %s answers in the shapes of its schema', (method, path, route) => {
    const op = doc.paths[path][method];
    const responses = route.response as Record<string, Record<string, unknown>>;
    expect(Object.keys(op.responses).sort()).toEqual(Object.keys(responses).sort());
    for (const [code, schema] of Object.entries(responses)) {
      const content = op.responses[code].content ?? {};
      if ('content' in schema) {
        // A response given per media type (the event stream).
        const media = schema.content as Record<string, { schema: unknown }>;
        for (const [type, { schema: s }] of Object.entries(media)) expect(shape(content[type]?.schema)).toEqual(shape(s));
      } else if (schema.type === 'null') {
        expect(content).toEqual({});
      } else {
        expect(shape(content['application/json']?.schema)).toEqual(shape(schema));
      }
    }
  });

  it.each(ROUTES)('%s %s takes the parameters and body of its schema', (method, path, route) => {
    const op = doc.paths[path][method];
    for (const [key, where] of [['querystring', 'query'], ['params', 'path']] as const) {
      const given = (op.parameters ?? []).filter((p) => p.in === where);
      const schema = route[key] as { properties: Record<string, unknown> } | undefined;
      expect(given.map((p) => p.name).sort()).toEqual(Object.keys(schema?.properties ?? {}).sort());
      for (const p of given) expect(shape(p.schema)).toEqual(shape(schema?.properties[p.name]));
    }
    expect(shape(op.requestBody?.content['application/json']?.schema)).toEqual(shape(route.body));
  });

  it('tells shapes apart that differ in a field, its type or whether it is required', () => {
    const row = schemas.StatusRowSchema;
    expect(shape(Type.Omit(row, ['worker']))).not.toEqual(shape(row));
    expect(shape(Type.Object({ ...row.properties, worker: Type.String() }))).not.toEqual(shape(row));
    expect(shape(Type.Partial(row))).not.toEqual(shape(row));
    expect(shape({ type: 'string', nullable: true })).toEqual(shape(Type.Union([Type.Null(), Type.String()])));
  });

  it("returns each task's worker", () => {
    const tasks = doc.paths['/api/jobs/{name}/tasks'].get.responses['200'].content?.['application/json'].schema as {
      properties: { tasks: { items: { properties: Record<string, unknown>; required: string[] } } };
    };
    expect(Object.keys(tasks.properties.tasks.items.properties)).toContain('worker');
    expect(tasks.properties.tasks.items.required).toContain('worker');
  });
});

describe('queue states', () => {
  it('split into active and final states, each state in exactly one', () => {
    expect([...ACTIVE_STATES, ...FINAL_STATES].sort()).toEqual([...QUEUE_STATES].sort());
    expect(ACTIVE_STATES.filter((s) => FINAL_STATES.includes(s))).toEqual([]);
  });

  it('are the values the schemas allow', () => {
    expect(shape(schemas.StatusRowSchema.properties.status)).toEqual(shape({ enum: [...QUEUE_STATES] }));
    expect(shape(schemas.StatusRowSchema.properties.run_status)).toEqual(shape({ enum: [...RUN_STATUSES] }));
    expect(Object.keys(schemas.GroupSchema.properties.states.properties)).toEqual([...QUEUE_STATES]);
  });

  it("are the Python client's final states", () => {
    const { FINAL_STATES: python } = pythonConstants('nbgrid/client/runtime.py', ['FINAL_STATES']);
    expect(python).toEqual([...FINAL_STATES].sort());
  });
});

describe("the Python client's status columns", () => {
  it('are the fields of a status row, in order', () => {
    const { STATUS_COLUMNS, DISPLAY_COLUMNS } = pythonConstants('nbgrid/client/table.py', ['STATUS_COLUMNS', 'DISPLAY_COLUMNS']);
    expect(STATUS_COLUMNS).toEqual(statusRowKeys);
    expect(statusRowKeys).toEqual(expect.arrayContaining(DISPLAY_COLUMNS as string[]));
  });

  it('are the fields of a status row in the served document', () => {
    const status = doc.paths['/api/jobs/{name}/status'].get.responses['200'].content?.['application/json'].schema as {
      properties: { rows: { items: { properties: Record<string, unknown> } } };
    };
    expect(Object.keys(status.properties.rows.items.properties)).toEqual(statusRowKeys);
  });
});

describe('docs/api.md', () => {
  const api = readFileSync(resolve(ROOT, 'docs/api.md'), 'utf8');
  /** `{a, b, c?}`: the fields of `schema` in order, `?` after optional ones, as the tables write them. */
  function fieldList(schema: { properties: Record<string, unknown>; required?: string[] }): string {
    const fields = Object.keys(schema.properties).map((k) => (schema.required?.includes(k) ? k : `${k}?`));
    return `{${fields.join(', ')}}`;
  }

  it.each([
    ['GET /api/jobs/<name>/status', schemas.StatusRowSchema],
    ['GET /api/jobs/<name>/tasks', schemas.TaskSchema],
    ['GET /api/jobs/<name>/groups', schemas.GroupSchema],
    ['GET /api/workers', schemas.WorkerSchema],
    ['GET /api/events?job=<name>', schemas.TaskEventSchema],
    ['PUT /api/notebooks/<name>', schemas.NotebookInfoSchema],
    ['GET /api/notebooks/<name>', schemas.NotebookWithContentSchema],
    ['GET /api/schedules', schemas.ScheduleSchema],
    ['POST /api/gc', schemas.CleanupReportSchema]
  ])('lists the fields %s answers', (route, schema) => {
    const line = api.split('\n').find((l) => l.startsWith(`| \`${route}\``));
    expect(line).toBeDefined();
    expect(line).toContain(fieldList(schema as Parameters<typeof fieldList>[0]));
  });

  it('names every field of a map body and of a group-done event', () => {
    for (const key of Object.keys(schemas.MapBodySchema.properties)) expect([key, api.includes(`"${key}"`)]).toEqual([key, true]);
    expect(api).toContain(fieldList(schemas.GroupDoneEventSchema as Parameters<typeof fieldList>[0]).replace('counts,', 'counts: {OK, ERROR},'));
  });
});
