/**
 * Issue 14, "at the edges": keys like `__proto__` are data, and a body is read only as UTF-8.
 */
import { charsetProblem, declaredCharset, parseJsonBody } from '../../../../worker/src/service/json-body';
import { AUTH, makeApp, notebook, type ITestApp } from './helpers';

/** Keys that prototype pollution uses, nested the way a deep merge would walk them. */
const HOSTILE_PARAMS_JSON = [
  '{"__proto__":1}',
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"prototype":{"polluted":"yes"},"a":[{"__proto__":{"polluted":"yes"}}]}'
];
const PARAMS_TEXT = `[${HOSTILE_PARAMS_JSON.join(',')}]`;

function expectNoPollution(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
}

describe('JSON bodies: __proto__, constructor and prototype are data', () => {
  let t: ITestApp | undefined;
  afterEach(async () => {
    await t?.app.close();
    expectNoPollution();
  });

  it('parses them as own properties without touching a prototype', () => {
    const value = parseJsonBody('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(value.polluted).toBeUndefined();
    expectNoPollution();
  });

  it('stores a notebook holding them and gives it back exactly', async () => {
    t = makeApp();
    const nb = notebook();
    const metadataText = '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":3}';
    const body = JSON.stringify({ content: nb }).replace('"metadata":{"kernelspec"', `"metadata":{"extra":${metadataText},"kernelspec"`);
    expect(body).toContain(metadataText);
    const put = await t.app.inject({ method: 'PUT', url: '/api/notebooks/proto', headers: { ...AUTH, 'content-type': 'application/json' }, payload: body });
    expect(put.statusCode).toBe(200);
    const got = await t.app.inject({ url: '/api/notebooks/proto', headers: AUTH });
    expect(got.statusCode).toBe(200);
    expect(got.body).toContain(`"extra":${metadataText}`);
    expect(JSON.stringify((JSON.parse(got.body) as { content: unknown }).content)).toBe(JSON.stringify(JSON.parse(body).content));
  });

  it('maps parameters holding them; tasks and results give them back exactly', async () => {
    t = makeApp();
    await t.jobs.putNotebook('proto', notebook());
    const map = await t.app.inject({
      method: 'POST',
      url: '/api/jobs/proto/map',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: `{"params":${PARAMS_TEXT}}`
    });
    expect(map.statusCode).toBe(201);
    const group = (map.json() as { task_group: string }).task_group;

    const tasks = await t.app.inject({ url: `/api/jobs/proto/tasks?task_group=${group}`, headers: AUTH });
    expect(tasks.statusCode).toBe(200);
    const params = (JSON.parse(tasks.body) as { tasks: { param: unknown }[] }).tasks.map((task) => JSON.stringify(task.param));
    expect(params).toEqual(HOSTILE_PARAMS_JSON);

    // Returned values with the same keys, as a worker would record them.
    HOSTILE_PARAMS_JSON.forEach((text, i) => t.jobs.completeTask(group, i, JSON.parse(text)));
    const results = await t.app.inject({ url: `/api/jobs/proto/results?task_group=${group}`, headers: AUTH });
    expect(results.statusCode).toBe(200);
    expect(results.body).toContain(`"results":${PARAMS_TEXT}`);
  });

  it('still refuses them where the schema allows no unknown field', async () => {
    t = makeApp();
    await t.jobs.putNotebook('proto', notebook());
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/jobs/proto/map',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: '{"__proto__":{"admin":true},"params":[1]}'
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('__proto__');
    expect(t.jobs.tasksByGroup.size).toBe(0);
  });
});

describe('JSON bodies: UTF-8 only', () => {
  let t: ITestApp | undefined;
  afterEach(async () => {
    await t?.app.close();
  });

  it('reads the charset parameter', () => {
    expect(declaredCharset('application/json')).toBeUndefined();
    expect(declaredCharset('application/json; charset=Latin1')).toBe('latin1');
    expect(declaredCharset('application/json;charset="UTF-8"')).toBe('utf-8');
    expect(declaredCharset('application/json; boundary=x; CHARSET = utf8 ')).toBe('utf8');
    expect(charsetProblem('application/json; charset=utf-8')).toBeNull();
    expect(charsetProblem(undefined)).toBeNull();
    expect(charsetProblem('application/json; charset=us-ascii')).toContain('UTF-8');
  });

  it.each(['latin1', 'ISO-8859-1', 'utf-16', 'windows-1252', '"utf-16le"'])('refuses a body declared as %s with 415, storing nothing', async (charset) => {
    t = makeApp();
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/notebooks/main',
      headers: { ...AUTH, 'content-type': `application/json; charset=${charset}` },
      payload: Buffer.from(JSON.stringify({ content: notebook('s = "caf\u00e9"') }), 'latin1')
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().message).toBe(
      `request body declares charset ${JSON.stringify(charset.replace(/"/g, '').toLowerCase())}, but nbgrid reads JSON only as UTF-8 (RFC 8259): ` +
        "encode the body as UTF-8 and send 'Content-Type: application/json' (or 'application/json; charset=utf-8')"
    );
    expect(t.jobs.notebooks.size).toBe(0);
  });

  it.each(['application/json', 'application/json; charset=utf-8', 'application/json; charset=UTF-8', 'application/json;charset="utf8"'])(
    'accepts UTF-8 declared as %s, non-ASCII text intact',
    async (type) => {
      t = makeApp();
      const source = 's = "caf\u00e9 \u65e5\u672c \ud83d\ude80"';
      const res = await t.app.inject({
        method: 'PUT',
        url: '/api/notebooks/main',
        headers: { ...AUTH, 'content-type': type },
        payload: Buffer.from(JSON.stringify({ content: notebook(source) }), 'utf8')
      });
      expect(res.statusCode).toBe(200);
      const got = await t.app.inject({ url: '/api/notebooks/main', headers: AUTH });
      expect((got.json() as { content: { cells: { source: string }[] } }).content.cells[0].source).toBe(source);
    }
  );

  it('refuses bytes that are not UTF-8 with 400 instead of replacing them', async () => {
    t = makeApp();
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/notebooks/main',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: Buffer.from(JSON.stringify({ content: notebook('s = "caf\u00e9"') }), 'latin1')
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('request body is not valid UTF-8');
    expect(t.jobs.notebooks.size).toBe(0);
  });
});
