import { AUTH, makeApp, notebook, TOKEN, type ITestApp } from './helpers';

describe('authentication and error answers', () => {
  let t: ITestApp;
  afterEach(async () => {
    await t?.app.close();
  });

  it.each([
    ['no header', undefined],
    ['wrong token', `token ${TOKEN}x`],
    ['shorter token', 'token test'],
    ['wrong scheme', `Basic ${TOKEN}`],
    ['empty token', 'token ']
  ])('answers 401 for %s, saying where the token is', async (_, authorization) => {
    t = makeApp();
    const headers = authorization === undefined ? {} : { authorization };
    for (const url of ['/api/notebooks', '/api/workers', '/api/jobs/main/status', '/api/openapi.json', '/api/events']) {
      const res = await t.app.inject({ url, headers });
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe('Unauthorized');
      expect(res.json().message).toContain('.nbgrid/stack.json');
      expect(res.json().message).toContain('NBGRID_TOKEN');
    }
    const put = await t.app.inject({ method: 'PUT', url: '/api/notebooks/main', headers, payload: { content: notebook() } });
    expect(put.statusCode).toBe(401);
    expect(t.jobs.notebooks.size).toBe(0);
  });

  it('refuses to build without a token', () => {
    expect(() => makeApp({ token: '' })).toThrow('the API token is empty');
  });

  it('accepts token and Bearer schemes', async () => {
    t = makeApp();
    expect((await t.app.inject({ url: '/api/workers', headers: { authorization: `token ${TOKEN}` } })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/workers', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(200);
  });

  it('lists live workers', async () => {
    t = makeApp();
    const worker = { hostname: 'nbgrid@a', labels: ['gpu'], concurrency: 2, active: 1, processed: 7, last_seen: '2026-01-01T00:00:00.000Z' };
    t.state.workers = [worker];
    const res = await t.app.inject({ url: '/api/workers', headers: AUTH });
    expect(res.json()).toEqual({ workers: [worker] });
  });

  it('answers health without a token', async () => {
    t = makeApp();
    const res = await t.app.inject({ url: '/api/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', mongo: 'ok', redis: 'ok', version: '0.1.0-test' });
  });

  it('answers health 503 naming the failing part', async () => {
    t = makeApp();
    t.state.health = { mongo: 'ok', redis: 'connect ECONNREFUSED 127.0.0.1:6390' };
    const res = await t.app.inject({ url: '/api/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      status: 'unavailable',
      mongo: 'ok',
      redis: 'connect ECONNREFUSED 127.0.0.1:6390',
      version: '0.1.0-test',
      message: 'Redis is not reachable: connect ECONNREFUSED 127.0.0.1:6390'
    });
    t.state.health = new Error('probe exploded');
    const thrown = await t.app.inject({ url: '/api/health' });
    expect(thrown.statusCode).toBe(503);
    expect(thrown.json().mongo).toBe('health probe failed: probe exploded');
  });

  it('answers health 503 when the probe hangs', async () => {
    t = makeApp({ health: () => new Promise(() => undefined), healthTimeoutMs: 50 });
    const res = await t.app.inject({ url: '/api/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toContain('no answer within 50 ms');
  });

  it('answers 400 for a body that is not JSON', async () => {
    t = makeApp();
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/notebooks/main',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: '{"content": {'
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^request body is not valid JSON: .*JSON/);
    // A '__proto__' key is data since issue 14, accepted and stored as sent: edges-json-body.test.ts.
    const empty = await t.app.inject({ method: 'PUT', url: '/api/notebooks/main', headers: { ...AUTH, 'content-type': 'application/json' } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().message).toContain('request body is empty');
    expect(t.jobs.notebooks.size).toBe(0);
  });

  it('answers 415 for a body that is not declared as JSON', async () => {
    t = makeApp();
    for (const type of ['text/plain', 'application/xml']) {
      const res = await t.app.inject({ method: 'PUT', url: '/api/notebooks/main', headers: { ...AUTH, 'content-type': type }, payload: 'x' });
      expect(res.statusCode).toBe(415);
      expect(res.json().message).toBe(`unsupported Content-Type "${type}": send the body as JSON with 'Content-Type: application/json'`);
    }
  });

  it('answers 413 above the body limit, saying the limit', async () => {
    t = makeApp({ bodyLimit: 1024 });
    const res = await t.app.inject({ method: 'PUT', url: '/api/notebooks/main', headers: AUTH, payload: { content: notebook('x'.repeat(2000)) } });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: expect.stringContaining('larger than the limit of 1024 bytes') as unknown
    });
    expect(t.jobs.notebooks.size).toBe(0);
  });

  it('answers 404 with a hint for an unknown route, with or without a token', async () => {
    t = makeApp();
    for (const headers of [AUTH, {}]) {
      const res = await t.app.inject({ url: '/api/nope', headers });
      expect(res.statusCode).toBe(404);
      expect(res.json().message).toContain('GET /api/openapi.json lists the routes');
    }
  });

  it('hides internals of unexpected errors', async () => {
    t = makeApp();
    t.jobs.listNotebooks = async () => {
      throw new Error('secret connection string mongodb://user:pw@db');
    };
    const res = await t.app.inject({ url: '/api/notebooks', headers: AUTH });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'internal error: see the service log' });
  });

  it('maps ServiceUnavailableError to 503 and InvalidInputError to 400', async () => {
    const { ServiceUnavailableError, InvalidInputError } = await import('../../../../worker/src/domain/errors');
    t = makeApp();
    t.jobs.listNotebooks = async () => {
      throw new ServiceUnavailableError('MongoDB is unreachable: retry later');
    };
    const res = await t.app.inject({ url: '/api/notebooks', headers: AUTH });
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toBe('MongoDB is unreachable: retry later');
    t.jobs.putNotebook = async () => {
      throw new InvalidInputError('content is not an nbformat v4 notebook: cells is missing');
    };
    const bad = await t.app.inject({ method: 'PUT', url: '/api/notebooks/x', headers: AUTH, payload: { content: {} } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('content is not an nbformat v4 notebook: cells is missing');
  });

  it('sends no CORS headers by default and allows only configured origins', async () => {
    t = makeApp();
    const plain = await t.app.inject({ url: '/api/workers', headers: { ...AUTH, origin: 'http://evil.example' } });
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    await t.app.close();

    t = makeApp({ corsOrigins: ['http://localhost:8888'] });
    const allowed = await t.app.inject({ url: '/api/workers', headers: { ...AUTH, origin: 'http://localhost:8888' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:8888');
    const other = await t.app.inject({ url: '/api/workers', headers: { ...AUTH, origin: 'http://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/notebooks/main',
      headers: { origin: 'http://localhost:8888', 'access-control-request-method': 'PUT' }
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toContain('Authorization');
  });

  it('never logs the token', async () => {
    const lines: string[] = [];
    const stream = { write: (line: string) => lines.push(line) };
    t = makeApp({ logger: { level: 'trace', stream } });
    await t.app.inject({ url: '/api/workers', headers: AUTH });
    await t.app.inject({ url: '/api/workers', headers: { authorization: `token ${TOKEN}-wrong` } });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });
});
