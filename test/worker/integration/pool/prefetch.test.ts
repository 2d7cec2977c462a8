/**
 * Prefetch in the Celery worker: with concurrency 1 and prefetch 1, the next message is taken
 * (and held unacked) while a task runs, but never runs alongside it; on close a prefetched message
 * goes back to the queue.
 */
import { CeleryKeys } from '../../../../worker/src/celery/keys';
import { CeleryProducer } from '../../../../worker/src/celery/producer';
import { CeleryWorker } from '../../../../worker/src/celery/worker';
import { startTestRedis, type ITestRedis } from '../celery/support/redis-server';

jest.setTimeout(60000);

let redis: ITestRedis;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  redis = await startTestRedis();
});

afterAll(async () => {
  await redis?.stop();
});

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}

it('takes the next message while a task runs, runs one at a time, and gives back the prefetched one on close', async () => {
  const keys = new CeleryKeys();
  const queue = 'prefetch-q';
  const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
  const worker = new CeleryWorker(redis.client, { queues: [queue], concurrency: 1, prefetch: 1, hostname: 'prefetch@test', logger: quiet });
  let running = 0;
  let maxRunning = 0;
  const started: string[] = [];
  let finishFirst: () => void = () => undefined;
  const firstDone = new Promise<void>(r => (finishFirst = r));
  worker.register('t.slow', async ctx => {
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    started.push(ctx.taskId);
    if (started.length === 1) await firstDone;
    running -= 1;
    return null;
  });
  const ids = ['a', 'b', 'c'].map(s => `prefetch-${s}`);
  for (const id of ids) await producer.send('t.slow', [], {}, { taskId: id });
  await worker.start();
  try {
    await until('the first task to start', () => started.length === 1);
    // one running + one prefetched are out of the queue, both unacked; the third waits in the queue
    await until('one message prefetched', async () => (await redis.client.llen(keys.queue(queue, 0))) === 1);
    expect(await redis.client.hlen(keys.unacked)).toBe(2);
    expect(started).toEqual([ids[0]]);
    finishFirst();
    await until('all three to run', () => started.length === 3);
    expect(started).toEqual(ids);
    expect(maxRunning).toBe(1);
  } finally {
    finishFirst();
    await worker.close();
  }
});

it('restores a prefetched message that had not started when the worker closes', async () => {
  const keys = new CeleryKeys();
  const queue = 'prefetch-close';
  const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
  const worker = new CeleryWorker(redis.client, { queues: [queue], concurrency: 1, prefetch: 1, hostname: 'prefetch-close@test', logger: quiet });
  const started: string[] = [];
  worker.register('t.slow', async ctx => {
    started.push(ctx.taskId);
    await new Promise(r => setTimeout(r, 500));
    return null;
  });
  await producer.send('t.slow', [], {}, { taskId: 'close-1' });
  await producer.send('t.slow', [], {}, { taskId: 'close-2' });
  await worker.start();
  await until('the first task to start and the second to be prefetched', async () => started.length === 1 && (await redis.client.llen(keys.queue(queue, 0))) === 0);
  await worker.close();
  expect(started).toEqual(['close-1']);
  expect(await redis.client.llen(keys.queue(queue, 0))).toBe(1);
  expect(await redis.client.hlen(keys.unacked)).toBe(0);
});
