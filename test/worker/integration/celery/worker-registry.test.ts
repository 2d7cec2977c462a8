/** WorkerRegistry lists live workers from heartbeats, with nbgrid's labels and concurrency. */
import { CeleryWorker } from '../../../../worker/src/celery/worker';
import { WorkerRegistry } from '../../../../worker/src/celery/worker-registry';
import { startTestRedis, type ITestRedis } from './support/redis-server';

jest.setTimeout(60000);

let redis: ITestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => redis?.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

it('shows a worker while it beats, with labels and concurrency, and drops it when it goes offline', async () => {
  const registry = new WorkerRegistry(redis.client);
  await registry.start();
  const worker = new CeleryWorker(redis.client, { queues: ['gpu', 'default'], labels: ['gpu'], concurrency: 3, hostname: 'reg@test', heartbeatFreq: 0.5 });
  try {
    await worker.start();
    await sleep(1200);
    const listed = registry.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ hostname: 'reg@test', labels: ['gpu'], concurrency: 3, active: 0, processed: 0 });
    expect(Date.now() - Date.parse(listed[0].last_seen)).toBeLessThan(2000);
    // not live once no heartbeat came within 2 × freq
    expect(registry.list(Date.now() + 1100)).toHaveLength(0);
  } finally {
    await worker.close();
  }
  await sleep(200);
  expect(registry.list()).toHaveLength(0);
  await registry.close();
  await registry.close();
});
