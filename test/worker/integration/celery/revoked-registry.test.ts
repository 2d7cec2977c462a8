/**
 * Revokes are remembered in Redis with an expiry: a worker started after the revoke skips the
 * task, the entries expire (result_expires + visibility timeout by default), expired entries are
 * trimmed on the next write and the key goes away with its last entry.
 */
import { CeleryKeys } from '../../../../worker/src/celery/keys';
import { CeleryProducer } from '../../../../worker/src/celery/producer';
import { RevokedRegistry } from '../../../../worker/src/celery/revoked-registry';
import { CeleryWorker } from '../../../../worker/src/celery/worker';
import { startTestRedis, type ITestRedis } from './support/redis-server';

jest.setTimeout(60000);

let redis: ITestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => redis?.stop());

const keys = new CeleryKeys();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

it('keeps a revoke for result_expires + the visibility timeout by default', () => {
  expect(new CeleryProducer(redis.client).revoked.expires).toBe(86400 + 3600);
  expect(new CeleryProducer(redis.client, { revokeExpires: 5 }).revoked.expires).toBe(5);
});

it('entries expire: has() turns false, the next write trims them and the key expires with its last entry', async () => {
  const registry = new RevokedRegistry(redis.client, keys, 1);
  await registry.add(['old-1', 'old-2']);
  expect(await registry.has('old-1')).toBe(true);
  const pttl = await redis.client.pttl(keys.revoked);
  expect(pttl).toBeGreaterThan(0);
  expect(pttl).toBeLessThanOrEqual(1000);
  await sleep(1100);
  expect(await registry.has('old-1')).toBe(false);
  // a write with a longer expiry trims the expired entries and moves the key's expiry out
  await new RevokedRegistry(redis.client, keys, 30).add(['new-1']);
  expect(await redis.client.zrange(keys.revoked, 0, -1)).toEqual(['new-1']);
  expect(await redis.client.pttl(keys.revoked)).toBeGreaterThan(29000);
  // a shorter revoke of the same id does not shorten it
  await registry.add(['new-1']);
  expect(await redis.client.pttl(keys.revoked)).toBeGreaterThan(29000);
  await redis.client.del(keys.revoked);
  await registry.add(['gone']);
  await sleep(1100);
  expect(await redis.client.exists(keys.revoked)).toBe(0);
});

it('a worker started after the revoke skips the task while the revoke lives, and runs a copy sent after it expired', async () => {
  const queue = 'revexpq';
  const producer = new CeleryProducer(redis.client, { defaultQueue: queue, revokeExpires: 1.5 });
  const ran: string[] = [];
  const id = await producer.send('t.mark', ['first']);
  await producer.revoke([id]);
  const worker = new CeleryWorker(redis.client, { queues: [queue], hostname: 'revexp@test' });
  worker.register('t.mark', async ({ args }) => void ran.push(args[0] as string));
  try {
    await worker.start();
    expect((await producer.backend.waitFor(id, 10000)).status).toBe('REVOKED');
    await sleep(1600);
    await producer.send('t.mark', ['again'], {}, { taskId: id });
    for (let i = 0; i < 250 && ran.length === 0; i++) await sleep(20);
    expect(ran).toEqual(['again']);
  } finally {
    await worker.close();
  }
});
