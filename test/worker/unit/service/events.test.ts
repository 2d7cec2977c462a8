import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AUTH, makeApp, taskEvent, type ITestApp } from './helpers';

/** Opens the event stream on a real socket and collects what arrives. */
function openStream(port: number, path: string): Promise<{ res: http.IncomingMessage; text: () => string; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const req = http.get({ host: '127.0.0.1', port, path, headers: AUTH }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      resolve({ res, req, text: () => text });
    });
    req.on('error', reject);
  });
}

async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('/api/events', () => {
  let t: ITestApp;
  let port: number;
  beforeEach(async () => {
    t = makeApp({ heartbeatMs: 50 });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await t.app.close();
  });

  it('streams published task events, filtered by job, with heartbeats, and unsubscribes on close', async () => {
    const all = await openStream(port, '/api/events');
    const onlyOther = await openStream(port, '/api/events?job=reports%2Fmonthly');
    expect(all.res.statusCode).toBe(200);
    expect(all.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await until(() => t.subscribers.size === 2, 'two subscriptions');

    const event = taskEvent({ status: 'SUCCESS', run_status: 'OK', duration: 2 });
    t.publish(event);
    t.publish(taskEvent({ job: 'reports/monthly', name: 'tasks/reports/monthly/00000001-0' }));
    await until(() => all.text().split('event: task').length === 3, 'two events on the unfiltered stream');
    await until(() => onlyOther.text().includes('event: task'), 'one event on the filtered stream');
    await until(() => all.text().includes(': heartbeat'), 'a heartbeat comment');

    const messages = all.text().split('\n\n').filter((m) => m.startsWith('event: task'));
    expect(messages[0]).toBe(`event: task\ndata: ${JSON.stringify(event)}`);
    expect(onlyOther.text().split('event: task')).toHaveLength(2);
    expect(onlyOther.text()).toContain('"job":"reports/monthly"');

    all.req.destroy();
    await until(() => t.subscribers.size === 1, 'the closed stream to unsubscribe');
    onlyOther.req.destroy();
    await until(() => t.subscribers.size === 0, 'every stream to unsubscribe');
  });

  it('ends open streams when the app closes', async () => {
    const stream = await openStream(port, '/api/events');
    await until(() => t.subscribers.size === 1, 'a subscription');
    const ended = new Promise<void>((resolve) => stream.res.on('end', () => resolve()));
    await t.app.close();
    await ended;
    expect(t.subscribers.size).toBe(0);
  });

  it('rejects a literal .. segment that a raw client sends unnormalized', async () => {
    const status = await new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'PUT', path: '/api/notebooks/a/../b', headers: { ...AUTH, 'content-type': 'application/json' } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        }
      );
      req.on('error', reject);
      req.end(JSON.stringify({ content: {} }));
    });
    expect(status.code).toBe(400);
    expect(JSON.parse(status.body).message).toBe(`notebook name "a/../b" contains a '..' segment: names cannot point outside the notebook store`);
  });

  it('answers 503 when the subscription fails', async () => {
    const broken = makeApp({
      subscribeEvents: () => {
        throw new Error('redis down');
      }
    });
    const res = await broken.app.inject({ url: '/api/events', headers: AUTH });
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toContain('cannot subscribe to task events');
    await broken.app.close();
  });

  it('requires the token and a valid job filter', async () => {
    const noToken = await t.app.inject({ url: '/api/events' });
    expect(noToken.statusCode).toBe(401);
    const bad = await t.app.inject({ url: '/api/events?job=..%2Fx', headers: AUTH });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain("job filter (?job=) \"../x\" contains a '..' segment");
    expect(t.subscribers.size).toBe(0);
  });
});
