/**
 * The service's defences, checked against the real stack: the token on every route but health,
 * a loopback-only bind, CORS only for configured origins, the body size limit.
 */
import { execFileSync } from 'child_process';
import * as http from 'http';
import { configEnv } from '../../../../worker/src/config';
import { freePort, IRunningStack, waitFor } from '../../../../worker/src/stack';
import { IManagedProcess, spawnManaged } from '../../../../worker/src/stack/managed-process';
import { nbgridCli } from '../../../../worker/src/stack/paths';
import type { TestApi } from '../../support/api';
import { usePrivateStack } from '../../support/private-stack';
import { notebook, PARAM_CELL } from '../../support/notebooks';

let stack: IRunningStack;
let api: TestApi;
let corsService: IManagedProcess | null = null;

usePrivateStack('nbgrid-hardening-', { workers: 0 }, async (s) => {
  ({ stack, api } = s);
  await api.put('echo', notebook([PARAM_CELL, "job['result'] = job['param']"]));
});

afterAll(async () => {
  await corsService?.stop();
});

it('every route in the OpenAPI document but health answers 401 without the right token', async () => {
  const doc = (await api.call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/openapi.json')).body;
  const routes = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => [m.toUpperCase(), p] as const));
  expect(routes.length).toBeGreaterThanOrEqual(12);
  const wrong = stack.info.token.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')); // same length, one character off
  for (const [method, template] of routes) {
    const route = template.replace(/\{[^}]+\}|\*/g, 'echo');
    const variants: Record<string, string>[] = [{}, { Authorization: `token ${wrong}` }, { Authorization: `token ${stack.info.token}x` }, { Authorization: stack.info.token }];
    for (const headers of variants) {
      const res = await fetch(stack.info.api_url + route, {
        method,
        headers: { ...headers, ...(method === 'GET' || method === 'DELETE' ? {} : { 'Content-Type': 'application/json' }) },
        body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
        signal: AbortSignal.timeout(5000)
      });
      const expected = route === '/api/health' ? 200 : 401;
      expect([method, route, res.status]).toEqual([method, route, expected]);
      if (expected === 401) expect(((await res.json()) as { message: string }).message).toMatch(/Authorization: token/);
      else await res.body?.cancel();
    }
  }
  // Bearer works as well as token.
  expect((await fetch(`${stack.info.api_url}/api/workers`, { headers: { Authorization: `Bearer ${stack.info.token}` } })).status).toBe(200);
});

it('the service listens on 127.0.0.1 only', () => {
  const port = new URL(stack.info.api_url).port;
  const lines = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  expect(lines.length).toBeGreaterThanOrEqual(1);
  for (const line of lines) expect(line.split(/\s+/)[3]).toBe(`127.0.0.1:${port}`);
});

it('answers CORS only for configured origins (none by default)', async () => {
  const pre = (url: string, origin: string): Promise<Response> =>
    fetch(`${url}/api/workers`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
  const none = await fetch(`${stack.info.api_url}/api/workers`, { headers: { Authorization: `token ${stack.info.token}`, Origin: 'http://evil.example' } });
  expect(none.headers.get('access-control-allow-origin')).toBeNull();
  expect((await pre(stack.info.api_url, 'http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();

  // A second service on the same databases with one allowed origin.
  const port = await freePort();
  corsService = spawnManaged({
    name: 'service-cors',
    command: process.execPath,
    args: [nbgridCli, 'serve'],
    dir: stack.info.run_dir,
    env: {
      ...process.env,
      ...configEnv({ redisUrl: stack.info.redis_url, mongoUrl: stack.info.mongo_url, token: stack.info.token, port }),
      NBGRID_CORS_ORIGINS: 'http://lab.example:8888'
    }
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('cors service', async () => (await fetch(`${url}/api/health`)).ok, { timeoutMs: 30000, intervalMs: 200, isAlive: corsService.isAlive });
  const allowed = await pre(url, 'http://lab.example:8888');
  expect(allowed.headers.get('access-control-allow-origin')).toBe('http://lab.example:8888');
  const denied = await pre(url, 'http://evil.example');
  expect(denied.headers.get('access-control-allow-origin')).not.toBe('http://evil.example');
  const simple = await fetch(`${url}/api/workers`, { headers: { Authorization: `token ${stack.info.token}`, Origin: 'http://evil.example' } });
  expect(simple.headers.get('access-control-allow-origin')).not.toBe('http://evil.example');
  expect(simple.headers.get('access-control-allow-origin')).not.toBe('*');
});

/**
 * A request sent exactly as written (node:http does not resolve `..` or `%2E%2E` like fetch does),
 * whose answer is read even when the server answers (and closes) before the body is sent.
 */
function rawRequest(method: string, route: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(stack.info.api_url + '/', {
      method,
      path: route,
      headers: {
        Authorization: `token ${stack.info.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) })
      }
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (body !== undefined && body.length > 1024 * 1024) {
      // Headers first: a service that rejects by Content-Length answers before the body is sent
      // (writing it anyway would race the answer against EPIPE).
      req.flushHeaders();
      const timer = setTimeout(() => {
        if (!answered) req.end(body);
      }, 3000);
      req.on('response', () => clearTimeout(timer));
    } else {
      req.end(body);
    }
  });
}

it('rejects a body over the limit with 413 naming the limit, and stores nothing', async () => {
  const before = await api.call('GET', '/api/notebooks?prefix=');
  const big = JSON.stringify({ content: notebook([PARAM_CELL, 'x = 1']), pad: 'x'.repeat(65 * 1024 * 1024) });
  const res = await rawRequest('PUT', '/api/notebooks/huge', big);
  expect(res.status).toBe(413);
  expect(JSON.parse(res.text).message).toMatch(/limit of 67108864 bytes/);
  expect((await api.call('GET', '/api/notebooks?prefix=')).body).toEqual(before.body);
});

it('accepts a valid name of up to 512 characters on every route', async () => {
  const long = `${'d'.repeat(200)}/${'ü'.repeat(300)}`;
  await api.put(long, notebook([PARAM_CELL, 'x = 1']));
  const enc = encodeURIComponent(long);
  expect((await api.call('GET', `/api/notebooks/${enc}`)).status).toBe(200);
  expect((await api.call('POST', `/api/jobs/${enc}/map`, { params: [1] })).status).toBe(201);
  expect((await api.call('GET', `/api/jobs/${enc}/status`)).status).toBe(200);
  expect((await api.call('POST', `/api/jobs/${enc}/cancel`)).status).toBe(200);
});

it('validates names on every route that takes one', async () => {
  for (const bad of ['..', '.', 'a/../b', '/etc/passwd', 'a\\b', 'a//b', 'x'.repeat(513), 'ü'.repeat(513), 'a\u0001b']) {
    const enc = encodeURIComponent(bad);
    for (const [method, route, body] of [
      ['PUT', `/api/notebooks/${enc}`, { content: notebook(['1']) }], ['GET', `/api/notebooks/${enc}`, undefined],
      ['DELETE', `/api/notebooks/${enc}`, undefined], ['POST', `/api/jobs/${enc}/map`, { params: [1] }],
      ['GET', `/api/jobs/${enc}/status`, undefined], ['POST', `/api/jobs/${enc}/restart`, {}]
    ] as const) {
      const res = await rawRequest(method, route, body === undefined ? undefined : JSON.stringify(body));
      expect([method, bad, res.status]).toEqual([method, bad, 400]);
      expect((JSON.parse(res.text) as { message: string }).message.length).toBeGreaterThan(10);
    }
  }
});
