/**
 * Issue 14: 200 event-stream clients and a 5,000-task map blocked `/api/health` for 6-10 s.
 * Real SSE clients (in a process of their own) against a listening app fed by the service's
 * EventFanout; `/api/health` is polled from here while the burst is delivered.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { ITaskEvent } from '../../../../worker/src/domain/ports';
import { EventFanout } from '../../../../worker/src/runtime/event-fanout';
import { MAX_BUFFERED_BYTES } from '../../../../worker/src/service/routes/events';
import { AUTH, makeApp, TOKEN, taskEvent, type ITestApp } from '../../unit/service/helpers';

const CLIENTS = 200;
const EVENTS = 5000;
/** Events a Redis subscription hands over per read, roughly (64 KB of ~300-byte messages). */
const SLICE = 250;
/** Longest `/api/health` answer allowed during the burst; it was 6-10 s. */
const HEALTH_BOUND_MS = 1000;

interface IClientSummary {
  count: number;
  inOrder: boolean;
  chunks: number;
}

/** Starts `clients` SSE clients in a child process; resolves once every stream is open. */
async function startClients(port: number, clients: number, expected: number): Promise<{ child: ChildProcess; summary: Promise<IClientSummary[]> }> {
  const child = fork(path.join(__dirname, 'support', 'sse-clients.cjs'), [String(port), TOKEN, String(clients), String(expected)], { execArgv: [], stdio: 'inherit' });
  let onSummary: (s: IClientSummary[]) => void = () => undefined;
  let onError: (e: Error) => void = () => undefined;
  const summary = new Promise<IClientSummary[]>((resolve, reject) => {
    onSummary = resolve;
    onError = reject;
  });
  await new Promise<void>((ready, failed) => {
    child.on('message', (m: { ready?: boolean; summary?: IClientSummary[]; error?: string }) => {
      if (m.ready) ready();
      if (m.summary) onSummary(m.summary);
      if (m.error) {
        failed(new Error(m.error));
        onError(new Error(m.error));
      }
    });
    child.on('exit', (code) => {
      const error = new Error(`SSE clients exited with ${code}`);
      failed(error);
      onError(error);
    });
  });
  return { child, summary };
}

function get(port: number, route: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: route, agent: false, headers: AUTH }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

/**
 * Dispatches events the way the Redis subscription does: a slice per read, reads in separate
 * turns of the event loop, `pauseMs` apart.
 */
async function burst(fanout: EventFanout, events: ITaskEvent[], pauseMs = 0): Promise<void> {
  for (let i = 0; i < events.length; i += SLICE) {
    for (const event of events.slice(i, i + SLICE)) fanout.dispatch(event);
    await new Promise((r) => (pauseMs > 0 ? setTimeout(r, pauseMs) : setImmediate(r)));
  }
}

function mapEvents(count: number, message = ''): ITaskEvent[] {
  return Array.from({ length: count }, (_, i) =>
    taskEvent({ job_id: i, name: `tasks/main/00000001-${i}`, task_id: `t-${i}`, status: 'SUCCESS', run_status: 'OK', duration: 1.5, message })
  );
}

async function until(check: () => boolean, what: string, ms = 30000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('event stream under load', () => {
  let t: ITestApp;
  let fanout: EventFanout;
  let port: number;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    fanout = new EventFanout();
    t = makeApp({ subscribeEvents: (listener) => fanout.subscribe(listener), heartbeatMs: 60_000 });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    child?.kill();
    child = undefined;
    await t.app.close();
  });

  it(`${CLIENTS} clients get all of a ${EVENTS}-event burst in order while /api/health answers within ${HEALTH_BOUND_MS} ms`, async () => {
    const clients = await startClients(port, CLIENTS, EVENTS);
    child = clients.child;
    await until(() => fanout.size === CLIENTS, 'every client to subscribe');

    const latencies: number[] = [];
    let delivering = true;
    const poll = (async () => {
      while (delivering) {
        const started = performance.now();
        expect(await get(port, '/api/health')).toBe(200);
        latencies.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await new Promise((r) => setTimeout(r, 50));

    const started = performance.now();
    await burst(fanout, mapEvents(EVENTS));
    const summary = await clients.summary;
    const deliveredMs = performance.now() - started;
    delivering = false;
    await poll;

    expect(summary).toHaveLength(CLIENTS);
    expect(summary.filter((s) => s.count !== EVENTS || !s.inOrder)).toEqual([]);
    // Batched: a client gets far fewer chunks than events.
    expect(Math.max(...summary.map((s) => s.chunks))).toBeLessThan(EVENTS / 5);
    expect(latencies.length).toBeGreaterThan(2);
    const worst = Math.max(...latencies);
    process.stdout.write(`${CLIENTS} clients x ${EVENTS} events delivered in ${Math.round(deliveredMs)} ms; /api/health: ${latencies.length} answers, worst ${Math.round(worst)} ms\n`);
    expect(worst).toBeLessThan(HEALTH_BOUND_MS);
  }, 120000);

  it('drops a client that stopped reading without holding up the others', async () => {
    // A raw connection that sends its request and never reads a byte.
    const stalled = net.connect(port, '127.0.0.1');
    stalled.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: token ${TOKEN}\r\n\r\n`);
    stalled.pause();
    stalled.on('error', () => undefined);
    await until(() => fanout.size === 1, 'the stalled client to subscribe');
    const readers = 5;
    const clients = await startClients(port, readers, 0);
    child = clients.child;
    await until(() => fanout.size === readers + 1, 'the readers to subscribe');

    // 2 KB messages, paced like network reads (500 KB per 20 ms) so readers keep up, sent until the
    // stalled stream is dropped: how much the kernel's socket buffers absorb first varies.
    const slice = mapEvents(SLICE, 'x'.repeat(2048));
    let sent = 0;
    while (fanout.size > readers) {
      if (sent >= 200_000) throw new Error(`the stalled client was not dropped after ${sent} events (400 MB)`);
      await burst(fanout, slice.map((e, i) => ({ ...e, job_id: sent + i })), 20);
      sent += SLICE;
    }
    expect(sent).toBeGreaterThan(MAX_BUFFERED_BYTES / 2048);
    // Ten more slices after the drop: the readers are unaffected.
    for (let k = 0; k < 10; k++) {
      await burst(fanout, slice.map((e, i) => ({ ...e, job_id: sent + i })));
      sent += SLICE;
    }
    clients.child.send({ expect: sent });
    const summary = await clients.summary;
    expect(summary.map((s) => [s.count, s.inOrder])).toEqual(Array.from({ length: readers }, () => [sent, true]));
    expect(fanout.size).toBe(readers);
    stalled.destroy();
  }, 120000);
});
