/**
 * A key of the wrong type where kombu keeps its bookkeeping can never eat a message. The keys are
 * made directly in Redis, bypassing the label rule (which refuses a map that would make them), as
 * a Python client, an older nbgrid or a person with redis-cli could: every message stays in Redis
 * (its queue or the unacked hash) until it ran, and the worker says what is wrong.
 */
import { CeleryKeys, CeleryProducer, CeleryWorker, UnackedStore, type ICeleryLogger } from '../../../../worker/src/celery';
import { startTestRedis, type ITestRedis } from '../celery/support/redis-server';

jest.setTimeout(60000);

let redis: ITestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => redis?.stop());
beforeEach(async () => {
  await redis.client.flushdb();
});

/** A logger that keeps the messages of warnings and errors, so a test can see what was said. */
function recordingLogger(): ICeleryLogger & { said: string[] } {
  const said: string[] = [];
  const keep = (obj: unknown, msg?: string): void => {
    const err = (obj as { err?: Error } | undefined)?.err;
    said.push(`${msg ?? ''} ${err?.message ?? ''}`);
  };
  return { said, info: () => undefined, warn: keep, error: keep };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe.each([
  ['unacked', 'a list', (k: string) => redis.client.lpush(k, 'not a hash')],
  ['unacked', 'a string', (k: string) => redis.client.set(k, 'x')],
  ['unacked_index', 'a list', (k: string) => redis.client.lpush(k, 'not a zset')],
  ['unacked_index', 'a hash', (k: string) => redis.client.hset(k, 'f', 'v')]
])('with %s holding %s', (key, _what, make) => {
  it('a worker takes no message off its queue, says why, and runs each message once the key is fixed', async () => {
    const queue = 'work';
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    const logger = recordingLogger();
    const runs: number[] = [];
    const worker = new CeleryWorker(redis.client, { queues: [queue], hostname: `keys-${key}@test`, logger, sendEvents: false });
    worker.register('t.echo', async ({ args }) => {
      runs.push(args[0] as number);
      return args[0];
    });
    await make(key);
    const ids = [await producer.send('t.echo', [1]), await producer.send('t.echo', [2]), await producer.send('t.echo', [3])];
    try {
      await worker.start();
      await waitFor('the worker to report the wrong key', async () => logger.said.some((s) => s.includes('WRONGTYPE')));
      await sleep(700); // a few more attempts of the consume loop
      expect(runs).toEqual([]);
      expect(await redis.client.llen(queue)).toBe(3);
      expect(logger.said.find((s) => s.includes('WRONGTYPE'))).toContain(`${key} holds a`);

      await redis.client.del(key);
      for (const [i, id] of ids.entries()) expect(await producer.backend.getValue(id, 15000)).toBe(i + 1);
      expect(runs.sort()).toEqual([1, 2, 3]);
      expect(await redis.client.llen(queue)).toBe(0);
    } finally {
      await worker.close();
    }
  });
});

it('a message a blocked BRPOP took while `unacked` turned into a list goes back to its queue', async () => {
  const queue = 'blocked';
  const store = new UnackedStore(redis.client, new CeleryKeys());
  const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
  await producer.send('t.echo', [1]);
  const raw = (await redis.client.rpop(queue)) as string;
  await redis.client.lpush('unacked', 'not a hash');
  await expect(store.append(JSON.parse(raw).properties.delivery_tag, raw, '', queue, queue)).rejects.toThrow(/put back on blocked: WRONGTYPE/);
  expect(await redis.client.lrange(queue, 0, -1)).toEqual([raw]);
  expect(await redis.client.zcard('unacked_index')).toBe(0);
});

it('restoring into a queue key of another type leaves the message unacked instead of dropping it', async () => {
  const store = new UnackedStore(redis.client, new CeleryKeys(), { visibilityTimeout: 0 });
  const producer = new CeleryProducer(redis.client, { defaultQueue: 'victim' });
  await producer.send('t.echo', [1]);
  await new CeleryProducer(redis.client, { defaultQueue: 'fine' }).send('t.echo', [2]);
  expect(await store.pop(['victim'])).not.toBeNull();
  const fine = await store.pop(['fine']);
  expect(fine?.tag).toBeTruthy();
  await redis.client.hset('victim', 'someone', 'else'); // the queue name is now a hash
  await sleep(20);
  await expect(store.restoreVisible()).rejects.toThrow(/its queue key victim holds something other than a list; the message stays unacked/);
  expect(await redis.client.hlen('unacked')).toBe(1);
  expect(await redis.client.zcard('unacked_index')).toBe(1);
  expect(await redis.client.hgetall('victim')).toEqual({ someone: 'else' });
  expect(await redis.client.llen('fine')).toBe(1); // the other message was restored all the same
  expect(await redis.client.exists('unacked_mutex')).toBe(0); // the lock was released
});

it('an `unacked_mutex` of another type is reported by the restore sweep, not waited out in silence', async () => {
  const store = new UnackedStore(redis.client, new CeleryKeys(), { visibilityTimeout: 0 });
  await redis.client.lpush('unacked_mutex', 'a queue named unacked_mutex');
  await expect(store.restoreVisible()).rejects.toThrow(/unacked_mutex holds a list, not kombu's restore lock: no unacked message is redelivered/);
  expect(await redis.client.llen('unacked_mutex')).toBe(1);
});

it('revoke refuses a revoked key of another type and leaves it as it was', async () => {
  const producer = new CeleryProducer(redis.client);
  await redis.client.lpush('celery-revoked', 'x');
  await expect(producer.revoke(['a'])).rejects.toThrow(/WRONGTYPE celery-revoked holds a list/);
  expect(await redis.client.lrange('celery-revoked', 0, -1)).toEqual(['x']);
});
