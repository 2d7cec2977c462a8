/**
 * At-least-once delivery and a consume loop that keeps going: killed workers, garbage on the
 * queue, the concurrency bound, eta/expires/time limits/retries, revoke and graceful close.
 */
import { CeleryKeys } from '../../../../worker/src/celery/keys';
import { CeleryProducer } from '../../../../worker/src/celery/producer';
import { CeleryWorker } from '../../../../worker/src/celery/worker';
import { Retry } from '../../../../worker/src/celery/errors';
import type { ICeleryLogger } from '../../../../worker/src/celery/logger';
import { startTestRedis, type ITestRedis } from './support/redis-server';
import { spawnWorker as spawnChildWorker } from './support/spawn-worker';


jest.setTimeout(120000);
let redis: ITestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => redis?.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function recordingLogger(): ICeleryLogger & { lines: string[] } {
  const lines: string[] = [];
  const push = (fields: Record<string, unknown>, message: string): void => {
    lines.push(`${message} ${JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`);
  };
  return { lines, info: push, warn: push, error: push };
}

/** A worker in a child process on this file's Redis. */
const spawnWorker = (env: Record<string, string>): ReturnType<typeof spawnChildWorker> => spawnChildWorker(redis.url, env);

describe('a worker killed with SIGKILL mid-task', () => {
  it('loses nothing: after the visibility timeout another worker runs it, one result is stored', async () => {
    const queue = 'killq';
    const a = spawnWorker({ QUEUES: queue, HOSTNAME_NB: 'victim@test', VISIBILITY: '2', RESTORE_MS: '500' });
    await a.ready;
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    const id = await producer.send('nbgrid.sleep', [1500, 'm1']);
    // wait until the victim has started it
    const deadline = Date.now() + 10000;
    while (!(await redis.client.lrange('test:log', 0, -1)).includes('victim@test start m1') && Date.now() < deadline) await sleep(50);
    const exited = new Promise((r) => a.child.once('exit', r));
    a.child.kill('SIGKILL');
    await exited;
    // the message sits in kombu's unacked hash, not on the queue
    expect(await redis.client.hlen('unacked')).toBe(1);
    expect(await redis.client.llen(queue)).toBe(0);
    const b = spawnWorker({ QUEUES: queue, HOSTNAME_NB: 'rescuer@test', VISIBILITY: '2', RESTORE_MS: '500' });
    try {
      await b.ready;
      const meta = await producer.backend.waitFor(id, 20000);
      expect(meta).toMatchObject({ status: 'SUCCESS', result: 'm1' });
      expect(await redis.client.lrange('test:log', 0, -1)).toEqual(['victim@test start m1', 'rescuer@test start m1']);
      await sleep(3000); // past another visibility timeout: no second run
      expect(await redis.client.lrange('test:log', 0, -1)).toHaveLength(2);
      expect(await redis.client.hlen('unacked')).toBe(0);
      expect(await redis.client.zcard('unacked_index')).toBe(0);
    } finally {
      const gone = new Promise((r) => b.child.once('exit', r));
      b.child.kill('SIGTERM');
      await gone;
    }
  });

  it('a long task on a live worker is not restored even when it outlasts the visibility timeout', async () => {
    await redis.client.del('test:log');
    const queue = 'longq';
    const w = spawnWorker({ QUEUES: queue, HOSTNAME_NB: 'w1@test', VISIBILITY: '1', RESTORE_MS: '300' });
    const w2 = spawnWorker({ QUEUES: queue, HOSTNAME_NB: 'w2@test', VISIBILITY: '1', RESTORE_MS: '300' });
    try {
      await Promise.all([w.ready, w2.ready]);
      const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
      const id = await producer.send('nbgrid.sleep', [3500, 'long']);
      expect((await producer.backend.waitFor(id, 20000)).status).toBe('SUCCESS');
      expect(await redis.client.lrange('test:log', 0, -1)).toHaveLength(1);
    } finally {
      for (const p of [w, w2]) {
        const gone = new Promise((r) => p.child.once('exit', r));
        p.child.kill('SIGTERM');
        await gone;
      }
    }
  });
});

describe('in-process worker', () => {
  let worker: CeleryWorker | undefined;
  afterEach(async () => {
    await worker?.close({ timeoutMs: 5000 });
    worker = undefined;
  });

  it('logs and skips garbage (invalid JSON, unknown content type, unknown task, bad body) and runs the good message behind it', async () => {
    const logger = recordingLogger();
    const queue = 'garbageq';
    const keys = new CeleryKeys();
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    const good = producer.envelope('nbgrid.ok', [7], {});
    const pickle = { ...producer.envelope('nbgrid.ok', [1], {}), 'content-type': 'application/x-python-serialize' };
    const unknown = producer.envelope('nbgrid.nobody_has_this', [], {});
    const badBody = { ...producer.envelope('nbgrid.ok', [1], {}), body: Buffer.from('[[1], ').toString('base64') };
    // LPUSH + BRPOP: the first pushed is the first popped
    for (const raw of ['{not json', '"a string"', JSON.stringify(pickle), JSON.stringify(unknown), JSON.stringify(badBody), JSON.stringify(good)]) {
      await redis.client.lpush(keys.queue(queue), raw);
    }
    const ran: unknown[] = [];
    worker = new CeleryWorker(redis.client, { queues: [queue], logger });
    worker.register('nbgrid.ok', async ({ args }) => {
      ran.push(args[0]);
      return args[0];
    });
    await worker.start();
    expect(await producer.backend.getValue(good.headers.id as string, 10000)).toBe(7);
    expect(ran).toEqual([7]);
    const log = logger.lines.join('\n');
    expect(log).toMatch(/not JSON/);
    expect(log).toMatch(/unsupported content-type/);
    expect(log).toMatch(/unregistered task.*nbgrid.nobody_has_this/);
    expect(log).toMatch(/body is not JSON/);
    expect(await redis.client.llen(queue)).toBe(0);
    expect(await redis.client.hlen('unacked')).toBe(0);
    const unknownMeta = await producer.backend.get(unknown.headers.id as string);
    expect(unknownMeta?.result).toMatchObject({ exc_type: 'NotRegistered', exc_module: 'celery.exceptions' });
  });

  it('never runs more than `concurrency` handlers at once, and does not pop while full', async () => {
    const queue = 'boundq';
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    let now = 0;
    let max = 0;
    worker = new CeleryWorker(redis.client, { queues: [queue], concurrency: 2 });
    worker.register('nbgrid.busy', async () => {
      now++;
      max = Math.max(max, now);
      await sleep(400);
      now--;
    });
    await worker.start();
    const ids = await Promise.all(Array.from({ length: 10 }, () => producer.send('nbgrid.busy')));
    await sleep(200);
    // two running, at most two popped: the rest still wait on the queue for other workers
    expect(await redis.client.hlen('unacked')).toBeLessThanOrEqual(2);
    expect(await redis.client.llen(queue)).toBe(8);
    for (const id of ids) expect((await producer.backend.waitFor(id, 10000)).status).toBe('SUCCESS');
    expect(max).toBe(2);
  });

  it('holds eta tasks until due, revokes expired ones, fails past the hard time limit, retries on Retry', async () => {
    const queue = 'timeq';
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    const ranAt = new Map<string, number>();
    worker = new CeleryWorker(redis.client, { queues: [queue], concurrency: 2 });
    worker.register('nbgrid.at', async ({ taskId }) => void ranAt.set(taskId, Date.now()));
    worker.register('nbgrid.stuck', ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
    worker.register('nbgrid.flaky', async ({ retries }) => {
      if (retries < 2) throw new Retry('not yet', { countdown: 0.2 });
      return `ok after ${retries}`;
    });
    await worker.start();
    const sent = Date.now();
    const etaId = await producer.send('nbgrid.at', [], {}, { countdown: 1.5 });
    const expiredId = await producer.send('nbgrid.at', [], {}, { expires: new Date(Date.now() - 1000) });
    const stuckId = await producer.send('nbgrid.stuck', [], {}, { timeLimit: { hard: 0.5 } });
    const flakyId = await producer.send('nbgrid.flaky');
    expect((await producer.backend.waitFor(etaId, 10000)).status).toBe('SUCCESS');
    expect((ranAt.get(etaId) as number) - sent).toBeGreaterThanOrEqual(1400);
    const expired = await producer.backend.waitFor(expiredId, 10000);
    expect(expired.status).toBe('REVOKED');
    expect(ranAt.has(expiredId)).toBe(false);
    const stuck = await producer.backend.waitFor(stuckId, 10000);
    expect(stuck).toMatchObject({ status: 'FAILURE', result: { exc_type: 'TimeLimitExceeded', exc_module: 'celery.exceptions' } });
    expect(await producer.backend.getValue(flakyId, 10000)).toBe('ok after 2');
  });

  it('revoke() skips queued tasks (persistently) and interrupts running ones with terminate', async () => {
    const queue = 'revq';
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    const ran: string[] = [];
    const queuedId = await producer.send('nbgrid.r', ['queued']);
    await producer.revoke([queuedId]);
    worker = new CeleryWorker(redis.client, { queues: [queue] });
    worker.register('nbgrid.r', async ({ args, signal }) => {
      ran.push(args[0] as string);
      if (args[0] === 'long') await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      return args[0];
    });
    await worker.start();
    const longId = await producer.send('nbgrid.r', ['long']);
    while (!ran.includes('long')) await sleep(20);
    await producer.revoke([longId], { terminate: true });
    expect((await producer.backend.waitFor(longId, 10000)).status).toBe('REVOKED');
    const afterId = await producer.send('nbgrid.r', ['after']);
    expect(await producer.backend.getValue(afterId, 10000)).toBe('after');
    expect(ran).toEqual(['long', 'after']);
    expect((await producer.backend.get(queuedId))?.status).toBe('REVOKED');
  });

  it('close() stops popping, waits for running tasks and acks them; it is idempotent', async () => {
    const queue = 'closeq';
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    let finished = 0;
    const w = new CeleryWorker(redis.client, { queues: [queue], concurrency: 1 });
    w.register('nbgrid.slow', async () => {
      await sleep(400);
      finished++;
    });
    await w.start();
    const first = await producer.send('nbgrid.slow');
    while (w.active === 0) await sleep(10);
    const second = await producer.send('nbgrid.slow');
    await Promise.all([w.close(), w.close()]);
    expect(finished).toBe(1);
    expect((await producer.backend.get(first))?.status).toBe('SUCCESS');
    expect(await producer.backend.get(second)).toBeNull();
    expect(await redis.client.llen(queue)).toBe(1);
    expect(await redis.client.hlen('unacked')).toBe(0);
  });
});

describe('eta holds', () => {
  it('close() wakes a message waiting for a far eta (no polling) and gives it back to its queue', async () => {
    const queue = 'farq';
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    const ran: string[] = [];
    const w = new CeleryWorker(redis.client, { queues: [queue], brpopTimeout: 0.2 });
    w.register('nbgrid.far', async ({ taskId }) => void ran.push(taskId));
    await w.start();
    // past Node's longest timer (about 24.8 days): must not fire early
    const id = await producer.send('nbgrid.far', [], {}, { countdown: 30 * 86400 });
    while ((await redis.client.hlen('unacked')) === 0) await sleep(10);
    await sleep(100);
    const t0 = Date.now();
    await w.close();
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(ran).toEqual([]);
    expect(await redis.client.hlen('unacked')).toBe(0);
    const back = await redis.client.lrange(queue, 0, -1);
    expect(back).toHaveLength(1);
    expect(JSON.parse(back[0]).headers.id).toBe(id);
  });
});
