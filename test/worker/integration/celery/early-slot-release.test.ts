/**
 * `ITaskContext.releaseSlot`: a handler that is past its heavy part gives its run slot to the next
 * message while it finishes. The bound (one finishing handler per slot) holds, the message is acked
 * only when the handler returns, a warm close waits for finishing handlers, and a worker killed
 * while one finishes has its message redelivered and run again (at-least-once, as before).
 */
import { CeleryProducer } from '../../../../worker/src/celery/producer';
import { CeleryWorker } from '../../../../worker/src/celery/worker';
import { startTestRedis, type ITestRedis } from './support/redis-server';
import { spawnWorker as spawnChildWorker } from './support/spawn-worker';

jest.setTimeout(120000);
let redis: ITestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => redis?.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves when `check` holds (polled), or fails after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('a handler that releases its slot early', () => {
  let worker: CeleryWorker | undefined;
  afterEach(async () => {
    await worker?.close({ timeoutMs: 10000 });
    worker = undefined;
  });

  it('lets the next message start while it finishes, one finishing handler per slot, and is acked only when it returns', async () => {
    const queue = 'earlyq';
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    let working = 0;
    let maxWorking = 0;
    let finishing = 0;
    let maxFinishing = 0;
    let overlapped = false;
    const gates: (() => void)[] = [];
    worker = new CeleryWorker(redis.client, { queues: [queue], concurrency: 1, prefetch: 1 });
    worker.register('nbgrid.two_phase', async ({ releaseSlot }) => {
      working++;
      maxWorking = Math.max(maxWorking, working);
      if (finishing > 0) overlapped = true;
      await sleep(50);
      working--;
      finishing++;
      maxFinishing = Math.max(maxFinishing, finishing);
      releaseSlot?.();
      releaseSlot?.(); // idempotent
      // Finishing: held open until the test lets it go.
      await new Promise<void>((resolve) => gates.push(resolve));
      finishing--;
      return 'done';
    });
    await worker.start();
    const ids = await Promise.all(Array.from({ length: 4 }, () => producer.send('nbgrid.two_phase')));
    // The first finishes (held), the second starts on the freed slot and reaches finishing too;
    // the budget (one per slot) is used, so it keeps its slot and the third waits.
    await until(() => gates.length === 2);
    await sleep(300);
    expect(gates).toHaveLength(2);
    expect(overlapped).toBe(true);
    // Neither is acked: both messages are still unacked, STARTED and no final result.
    expect(await redis.client.hlen('unacked')).toBeGreaterThanOrEqual(2);
    expect((await producer.backend.get(ids[0]))?.status).toBe('STARTED');
    const opener = setInterval(() => {
      while (gates.length > 0) gates.shift()!();
    }, 10);
    try {
      for (const id of ids) expect((await producer.backend.waitFor(id, 20000)).status).toBe('SUCCESS');
    } finally {
      clearInterval(opener);
    }
    expect(maxWorking).toBe(1);
    expect(maxFinishing).toBeLessThanOrEqual(2);
    await until(async () => (await redis.client.hlen('unacked')) === 0);
  });

  it('close() waits for a finishing handler and acks it', async () => {
    const queue = 'earlycloseq';
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    let finished = 0;
    let released = false;
    const w = new CeleryWorker(redis.client, { queues: [queue], concurrency: 1 });
    w.register('nbgrid.finishing', async ({ releaseSlot }) => {
      releaseSlot?.();
      released = true;
      await sleep(500);
      finished++;
    });
    await w.start();
    const id = await producer.send('nbgrid.finishing');
    await until(() => released);
    await w.close({ timeoutMs: 10000 });
    expect(finished).toBe(1);
    expect((await producer.backend.get(id))?.status).toBe('SUCCESS');
    expect(await redis.client.hlen('unacked')).toBe(0);
  });
});

/** A worker in a child process on this file's Redis. */
const spawnWorker = (env: Record<string, string>): ReturnType<typeof spawnChildWorker> => spawnChildWorker(redis.url, env);

describe('a worker killed while a handler finishes after releasing its slot', () => {
  it('has the message redelivered to another worker, which runs it; one result is stored', async () => {
    await redis.client.del('test:log');
    const queue = 'earlykillq';
    const a = spawnWorker({ QUEUES: queue, HOSTNAME_NB: 'victim@test', VISIBILITY: '2', RESTORE_MS: '500' });
    await a.ready;
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    const id = await producer.send('nbgrid.sleep_finishing', [5000, 'f1']);
    await until(async () => (await redis.client.lrange('test:log', 0, -1)).includes('victim@test start f1'));
    const exited = new Promise((r) => a.child.once('exit', r));
    a.child.kill('SIGKILL');
    await exited;
    expect(await redis.client.hlen('unacked')).toBe(1);
    const b = spawnWorker({ QUEUES: queue, HOSTNAME_NB: 'rescuer@test', VISIBILITY: '2', RESTORE_MS: '500' });
    try {
      await b.ready;
      const meta = await producer.backend.waitFor(id, 30000);
      expect(meta).toMatchObject({ status: 'SUCCESS', result: 'f1' });
      expect(await redis.client.lrange('test:log', 0, -1)).toEqual(['victim@test start f1', 'rescuer@test start f1']);
      await until(async () => (await redis.client.hlen('unacked')) === 0);
    } finally {
      const gone = new Promise((r) => b.child.once('exit', r));
      b.child.kill('SIGTERM');
      await gone;
    }
  });
});
