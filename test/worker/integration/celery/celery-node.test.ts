/** celery-node (npm) as a client of nbgrid workers on the same Redis. */
import * as celery from 'celery-node';
import { CeleryWorker } from '../../../../worker/src/celery/worker';
import { startTestRedis, type ITestRedis } from './support/redis-server';

jest.setTimeout(60000);

let redis: ITestRedis;
let worker: CeleryWorker;

beforeAll(async () => {
  redis = await startTestRedis();
  worker = new CeleryWorker(redis.client, { queues: ['cnq'] });
  worker.register('tasks.add', async ({ args }) => (args as number[]).reduce((a, b) => a + b, 0));
  worker.register('tasks.boom', async () => {
    throw new RangeError('out of range');
  });
  await worker.start();
});

afterAll(async () => {
  await worker?.close();
  await redis?.stop();
});

describe('celery-node client → nbgrid worker', () => {
  it('runs the task and celery-node reads the result', async () => {
    const client = celery.createClient(redis.url, redis.url, 'cnq');
    try {
      const result = client.createTask('tasks.add').applyAsync([20, 22]);
      expect(await result.get(10000)).toBe(42);
      const failed = client.createTask('tasks.boom').applyAsync([]);
      const err = (await failed.get(10000).catch((e: unknown) => e)) as Error & { exc_type?: string; exc_message?: unknown };
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toBe('FAILURE');
      expect(err.exc_type).toBe('ValueError');
      expect(err.exc_message).toEqual(['out of range']);
    } finally {
      await client.disconnect();
    }
  });
});
