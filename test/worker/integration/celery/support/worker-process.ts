/**
 * A CeleryWorker in its own process, for tests that kill workers. Configured by env:
 * REDIS_URL, QUEUES (comma list), CONCURRENCY, PREFETCH, VISIBILITY (s), RESTORE_MS, LOST_MS, HOSTNAME_NB.
 * Task `nbgrid.sleep(ms, marker)`: appends `<hostname> start <marker>` to the Redis list
 * `test:log`, sleeps, returns marker; `nbgrid.sleep_finishing` the same after giving its run slot back. Prints "ready" when consuming; SIGTERM closes gracefully.
 */
import Redis from 'ioredis';
import { CeleryWorker } from '../../../../../worker/src/celery/worker';

async function main(): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL as string, { maxRetriesPerRequest: null });
  const worker = new CeleryWorker(redis, {
    queues: (process.env.QUEUES ?? 'default').split(','),
    concurrency: Number(process.env.CONCURRENCY ?? 1),
    hostname: process.env.HOSTNAME_NB,
    visibilityTimeout: Number(process.env.VISIBILITY ?? 3600),
    restoreIntervalMs: Number(process.env.RESTORE_MS ?? 10000),
    prefetch: Number(process.env.PREFETCH ?? 0),
    lostAfterMs: process.env.LOST_MS ? Number(process.env.LOST_MS) : undefined,
    heartbeatFreq: process.env.HEARTBEAT ? Number(process.env.HEARTBEAT) : undefined
  });
  worker.register('nbgrid.sleep', async ({ args, signal }) => {
    const [ms, marker] = args as [number, string];
    await redis.rpush('test:log', `${worker.hostname} start ${marker}`);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(signal.reason);
      });
    });
    return marker;
  });
  // Like nbgrid.sleep, but gives its run slot back first and sleeps while "finishing" (ITaskContext.releaseSlot).
  worker.register('nbgrid.sleep_finishing', async ({ args, releaseSlot }) => {
    const [ms, marker] = args as [number, string];
    await redis.rpush('test:log', `${worker.hostname} start ${marker}`);
    releaseSlot?.();
    await new Promise<void>((resolve) => setTimeout(resolve, ms));
    return marker;
  });
  await worker.start();
  process.on('SIGTERM', () => {
    void worker.close({ timeoutMs: 10000 }).then(() => {
      redis.disconnect();
      process.exit(0);
    });
  });
  process.stdout.write('ready\n');
}

void main();
