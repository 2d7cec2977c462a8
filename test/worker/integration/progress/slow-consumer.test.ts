/**
 * `event: progress` on `/api/events` (a listening app, real sockets): a client that stopped
 * reading is dropped once 4 MB wait for it, while a client that reads gets every update in order;
 * and a client that connects gets the snapshot of running tasks first.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { IProgressSource } from '../../../../worker/src/domain/progress-source';
import { EventFanout } from '../../../../worker/src/runtime/event-fanout';
import type { IGroupDoneEvent, IProgressEvent } from '../../../../worker/src/schemas';
import { makeApp, TOKEN, type ITestApp } from '../../unit/service/helpers';

function progressEvent(seq: number, tailLine = ''): IProgressEvent {
  return {
    name: 'tasks/main/abcd1234-0', job: 'main', task_group: 'abcd1234', job_id: 0, task_id: 'id-0', worker: 'w@h',
    seq, ts: new Date().toISOString(), done: 1, total: 3, cell: null, tail: [tailLine], display: null, final: false
  };
}

async function until(predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let t: ITestApp;
let port: number;
const progress = new EventFanout<IProgressEvent>();
const done = new EventFanout<IGroupDoneEvent>();
let snapshot: IProgressEvent[] = [];

beforeEach(async () => {
  const source: IProgressSource = {
    running: async () => snapshot,
    partial: async () => null,
    subscribeProgress: (l) => progress.subscribe(l),
    subscribeDone: (l) => done.subscribe(l),
    registerNotify: async () => undefined
  };
  t = makeApp({ progress: source });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
});

afterEach(async () => {
  await t.app.close();
});

/** A reading client: the `seq` of each progress event, in arrival order. */
function reader(): Promise<{ seqs: number[]; close(): void }> {
  return new Promise((resolve, reject) => {
    const seqs: number[] = [];
    let buffer = '';
    const req = http.get({ host: '127.0.0.1', port, path: '/api/events', headers: { Authorization: `token ${TOKEN}` } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.startsWith('event: progress\n') ? block.split('\n')[1] : null;
          if (data) seqs.push((JSON.parse(data.slice(6)) as IProgressEvent).seq);
        }
      });
      resolve({ seqs, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

describe('progress on the event stream', () => {
  it('drops a client that stopped reading without holding up one that reads', async () => {
    const stalled = net.connect(port, '127.0.0.1');
    stalled.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: token ${TOKEN}\r\n\r\n`);
    stalled.pause();
    stalled.on('error', () => undefined);
    await until(() => progress.size === 1, 'the stalled client to subscribe');
    const reading = await reader();
    await until(() => progress.size === 2, 'the reader to subscribe');
    let seq = 0;
    const line = 'x'.repeat(8192);
    // Sent until the stalled stream is dropped (how much the socket buffers absorb varies), paced so the reader keeps up.
    while (progress.size > 1) {
      if (seq >= 50_000) throw new Error(`the stalled client was not dropped after ${seq} updates (400 MB)`);
      for (let i = 0; i < 50; i++) progress.dispatch(progressEvent(++seq, line));
      await new Promise((r) => setTimeout(r, 5));
    }
    for (let i = 0; i < 100; i++) progress.dispatch(progressEvent(++seq, line));
    await until(() => reading.seqs.length === seq, `the reader to get all ${seq} updates`);
    expect(reading.seqs).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    expect(progress.size).toBe(1);
    reading.close();
    stalled.destroy();
  }, 120_000);

  it('sends the running tasks first to a client that connects, then newer updates only', async () => {
    snapshot = [progressEvent(7, 'kept')];
    const reading = await reader();
    await until(() => progress.size === 1 && reading.seqs.length === 1, 'the snapshot');
    progress.dispatch(progressEvent(8));
    await until(() => reading.seqs.length === 2, 'the next update');
    expect(reading.seqs).toEqual([7, 8]);
    reading.close();
    snapshot = [];
  });
});
