/**
 * Issue 14: parallel large uploads cannot exhaust the API service's memory. Real parallel uploads
 * against a listening app (inject() does not stream); the job service holds each admitted body
 * until released, so the test sees how many bodies the service holds at once.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INotebookInfo } from '../../../../worker/src/domain/types';
import { UploadBudget } from '../../../../worker/src/service';
import { FakeJobService } from '../../unit/service/fake-job-service';
import { AUTH, makeApp, notebook, type ITestApp } from '../../unit/service/helpers';

const MB = 1024 * 1024;
const BODY_MB = 40;

/** Holds every putNotebook until `open()`, counting how many run at once. */
class GatedJobService extends FakeJobService {
  running = 0;
  maxRunning = 0;
  private opened = false;
  private waiters: (() => void)[] = [];

  open(): void {
    this.opened = true;
    this.waiters.splice(0).forEach((wake) => wake());
  }

  override async putNotebook(name: string, content: unknown): Promise<INotebookInfo> {
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      if (!this.opened) {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
      return await super.putNotebook(name, content);
    } finally {
      this.running -= 1;
    }
  }
}

interface IAnswer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/** One PUT on its own connection, streaming `body`. */
function upload(port: number, name: string, body: Buffer, abortAfter?: number): Promise<IAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: `/api/notebooks/${name}`,
        agent: false,
        headers: { ...AUTH, 'content-type': 'application/json', 'content-length': String(body.length) }
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, body: Buffer.concat(chunks).toString() }));
      }
    );
    req.on('error', (error) => (abortAfter === undefined ? reject(error) : resolve({ status: 0, retryAfter: undefined, body: String(error) })));
    if (abortAfter === undefined) {
      req.end(body);
    } else {
      req.write(body.subarray(0, abortAfter), () => setTimeout(() => req.destroy(), 200));
    }
  });
}

/** A notebook of about `mb` MB: one cell whose output holds the bulk, as a large plot would. */
function bigBody(mb: number): Buffer {
  const nb = notebook('plot()');
  (nb.cells as Record<string, unknown>[])[0].outputs = [{ output_type: 'stream', name: 'stdout', text: 'x'.repeat(mb * MB) }];
  return Buffer.from(JSON.stringify({ content: nb }));
}

async function until(check: () => boolean, what: string, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('upload budget', () => {
  let t: ITestApp;
  let jobs: GatedJobService;
  let budget: UploadBudget;
  let port: number;
  const body = bigBody(BODY_MB);

  beforeEach(async () => {
    jobs = new GatedJobService();
    // Room for two bodies at once, not three.
    budget = new UploadBudget({ limitBytes: 2.5 * BODY_MB * MB, retryAfterS: 3 });
    t = makeApp({ jobs, uploadBudget: budget });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    jobs.open();
    await t.app.close();
  });

  it(`admits two of six parallel ${BODY_MB} MB uploads, answers the others 503 with Retry-After, and admits them on retry`, async () => {
    const answers = Promise.all([0, 1, 2, 3, 4, 5].map((i) => upload(port, `big-${i}`, body)));
    await until(() => budget.stats().refused === 4 && jobs.running === 2, 'two bodies in the handler and four refusals', 60000);
    // While two bodies are held, nothing more is admitted.
    expect(budget.stats()).toMatchObject({ inFlightBodies: 2, inFlightBytes: 2 * body.length });
    jobs.open();
    const first = await answers;
    expect(first.map((a) => a.status).sort()).toEqual([200, 200, 503, 503, 503, 503]);
    for (const refused of first.filter((a) => a.status === 503)) {
      expect(refused.retryAfter).toBe('3');
      const message = (JSON.parse(refused.body) as { message: string }).message;
      expect(message).toMatch(/^the service is busy receiving other uploads \(80 MB in flight; its budget for request bodies in flight is 100 MB, this body is 40 MB\): retry in 3 s/);
    }

    // Retried one after the other, each is admitted.
    const names = first.map((a, i) => (a.status === 503 ? `big-${i}` : null)).filter((n): n is string => n !== null);
    for (const name of names) {
      expect((await upload(port, name, body)).status).toBe(200);
    }
    expect(jobs.notebooks.size).toBe(6);
    expect(jobs.maxRunning).toBe(2);
    expect(budget.stats()).toEqual({ inFlightBytes: 0, inFlightBodies: 0, peakBytes: 2 * body.length, admitted: 6, refused: 4 });
  }, 120000);

  it('gives the budget back when a client aborts its upload midway, and small bodies pass alongside', async () => {
    const aborted = await upload(port, 'aborted', body, 4 * MB);
    expect(aborted.status).toBe(0);
    await until(() => budget.stats().inFlightBodies === 0, 'the aborted upload to release its bytes');
    expect(budget.stats()).toMatchObject({ admitted: 1, refused: 0, inFlightBytes: 0 });
    jobs.open();
    const small = await t.app.inject({ method: 'PUT', url: '/api/notebooks/small', headers: { ...AUTH, 'content-type': 'application/json' }, payload: { content: notebook() } });
    expect(small.statusCode).toBe(200);
    expect(budget.stats().inFlightBodies).toBe(0);
  }, 60000);
});
