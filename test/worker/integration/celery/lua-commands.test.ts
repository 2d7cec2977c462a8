/**
 * The layer's Lua scripts are loaded once per connection and then run by EVALSHA: a worker's
 * traffic has no EVAL carrying a script body, and after SCRIPT FLUSH the scripts still run
 * (ioredis sends the body once more on NOSCRIPT).
 */
import { CeleryProducer } from '../../../../worker/src/celery/producer';
import { CeleryWorker } from '../../../../worker/src/celery/worker';
import { startTestRedis, type ITestRedis } from './support/redis-server';

jest.setTimeout(60000);

let redis: ITestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => redis?.stop());

it('runs pop, restore and revoke by EVALSHA, and survives SCRIPT FLUSH', async () => {
  const queue = 'luaq';
  const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
  const seen: string[] = [];
  const monitor = await redis.client.duplicate().monitor();
  monitor.on('monitor', (_time: string, args: string[]) => seen.push(String(args[0]).toLowerCase()));
  const worker = new CeleryWorker(redis.client, { queues: [queue], hostname: 'lua@test', restoreIntervalMs: 200 });
  worker.register('t.echo', async ({ args }) => args[0]);
  try {
    await worker.start();
    // warm: the first call of each script on a connection may load it
    expect(await producer.backend.getValue(await producer.send('t.echo', [1]), 10000)).toBe(1);
    await producer.revoke(['warm']);
    await new Promise((r) => setTimeout(r, 300)); // a restore sweep ran (release-lock)
    seen.length = 0;
    for (let i = 0; i < 3; i++) {
      expect(await producer.backend.getValue(await producer.send('t.echo', [i]), 10000)).toBe(i);
    }
    await producer.revoke(['a', 'b']);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toContain('evalsha');
    expect(seen).not.toContain('eval');
    await redis.client.script('FLUSH');
    expect(await producer.backend.getValue(await producer.send('t.echo', ['after flush']), 10000)).toBe('after flush');
    await producer.revoke(['c']);
    expect(await producer.revoked.has('c')).toBe(true);
  } finally {
    await worker.close();
    monitor.disconnect();
  }
});
