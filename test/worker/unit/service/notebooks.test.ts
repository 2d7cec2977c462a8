import { AUTH, makeApp, notebook, type ITestApp } from './helpers';

describe('/api/notebooks', () => {
  let t: ITestApp;
  beforeEach(() => {
    t = makeApp();
  });
  afterEach(async () => {
    await t.app.close();
  });

  it('stores a notebook under a nested name and gives it back as stored', async () => {
    const content = notebook('print("héllo")');
    const put = await t.app.inject({ method: 'PUT', url: '/api/notebooks/reports/monthly', headers: AUTH, payload: { content } });
    expect(put.statusCode).toBe(200);
    const info = put.json();
    expect(Object.keys(info).sort()).toEqual(['created', 'modified', 'name', 'sha256', 'size']);
    expect(info.name).toBe('reports/monthly');
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(t.jobs.notebooks.get('reports/monthly')?.json).toBe(JSON.stringify(content));

    const get = await t.app.inject({ method: 'GET', url: '/api/notebooks/reports/monthly', headers: AUTH });
    expect(get.statusCode).toBe(200);
    expect(get.json()).toEqual({ ...info, content });
  });

  it('decodes a percent-encoded name', async () => {
    await t.app.inject({ method: 'PUT', url: '/api/notebooks/a%20b%2Fc', headers: AUTH, payload: { content: notebook() } });
    expect([...t.jobs.notebooks.keys()]).toEqual(['a b/c']);
  });

  it('lists by prefix', async () => {
    for (const name of ['main', 'reports/a', 'reports/b']) {
      await t.app.inject({ method: 'PUT', url: `/api/notebooks/${name}`, headers: AUTH, payload: { content: notebook() } });
    }
    const all = await t.app.inject({ method: 'GET', url: '/api/notebooks', headers: AUTH });
    expect(all.json().notebooks.map((n: { name: string }) => n.name)).toEqual(['main', 'reports/a', 'reports/b']);
    const some = await t.app.inject({ method: 'GET', url: '/api/notebooks?prefix=reports/', headers: AUTH });
    expect(some.statusCode).toBe(200);
    expect(some.json().notebooks.map((n: { name: string }) => n.name)).toEqual(['reports/a', 'reports/b']);
  });

  it('deletes with 204 and then answers 404 from the job service', async () => {
    await t.app.inject({ method: 'PUT', url: '/api/notebooks/main', headers: AUTH, payload: { content: notebook() } });
    const del = await t.app.inject({ method: 'DELETE', url: '/api/notebooks/main', headers: AUTH });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    const get = await t.app.inject({ method: 'GET', url: '/api/notebooks/main', headers: AUTH });
    expect(get.statusCode).toBe(404);
    expect(get.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: "notebook 'main' does not exist: store it first with PUT /api/notebooks/main"
    });
  });

  it.each([
    ['/api/notebooks/..%2Fetc%2Fpasswd', "'..' segment"],
    ['/api/notebooks/%2Fetc%2Fpasswd', 'absolute path'],
    ['/api/notebooks//etc', 'absolute path'],
    ['/api/notebooks/a%5Cb', 'backslash'],
    ['/api/notebooks/a%0Ab', 'control character U+000A'],
    ['/api/notebooks/', 'empty'],
    [`/api/notebooks/${'x'.repeat(513)}`, 'at most 512']
  ])('rejects PUT %s with a message about the name', async (url, words) => {
    const res = await t.app.inject({ method: 'PUT', url, headers: AUTH, payload: { content: notebook() } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('Bad Request');
    expect(res.json().message).toContain('notebook name');
    expect(res.json().message).toContain(words);
    expect(t.jobs.notebooks.size).toBe(0);
  });

  it('accepts a name of exactly 512 characters', async () => {
    const res = await t.app.inject({ method: 'PUT', url: `/api/notebooks/${'x'.repeat(512)}`, headers: AUTH, payload: { content: notebook() } });
    expect(res.statusCode).toBe(200);
  });

  it('rejects a body without content, naming the field', async () => {
    const res = await t.app.inject({ method: 'PUT', url: '/api/notebooks/main', headers: AUTH, payload: { content: notebook(), cells: [] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^body has an unknown field 'cells'/);
    const missing = await t.app.inject({ method: 'PUT', url: '/api/notebooks/main', headers: AUTH, payload: {} });
    expect(missing.json().message).toBe('body/content is required: give the nbformat v4 notebook as a JSON object');
  });

  it('rejects a prefix with a backslash', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/notebooks?prefix=a%5C', headers: AUTH });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('querystring/prefix');
  });
});
