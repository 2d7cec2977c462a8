/**
 * The Celery layer under infrastructure trouble: time limits past Node's longest timer, pause and
 * resume (prefetched messages go back), close() with Redis gone, and the messages of a worker
 * killed with -9 going back to the queue soon after its alive key expires: exactly once, and never
 * a message that another (e.g. Python) worker holds.
 */
import type { ChildProcess } from 'child_process';
import Redis from 'ioredis';
import { CeleryKeys } from '../../../../worker/src/celery/keys';
import { CeleryProducer } from '../../../../worker/src/celery/producer';
import { UnackedStore } from '../../../../worker/src/celery/unacked-store';
import { CeleryWorker } from '../../../../worker/src/celery/worker';
import { WorkerRegistry } from '../../../../worker/src/celery/worker-registry';
import { startTestRedis, type ITestRedis } from './support/redis-server';
import { spawnWorker as spawnChildWorker } from './support/spawn-worker';

jest.setTimeout(120000);
let redis: ITestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => redis?.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A worker in a child process on this file's Redis. */
const spawnWorker = (env: Record<string, string>): ReturnType<typeof spawnChildWorker> => spawnChildWorker(redis.url, env);

const log = (): Promise<string[]> => redis.client.lrange('test:log', 0, -1);

describe('time limits', () => {
  it('a hard time limit of 25 days (over 2^31-1 ms) does not kill a 0.3 s task', async () => {
    const queue = 'longlimitq';
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    const worker = new CeleryWorker(redis.client, { queues: [queue], logger: quiet });
    worker.register('t.nap', async () => {
      await sleep(300);
      return 'rested';
    });
    try {
      await worker.start();
      const id = await producer.send('t.nap', [], {}, { timeLimit: { hard: 25 * 86400 } });
      expect(await producer.backend.waitFor(id, 10000)).toMatchObject({ status: 'SUCCESS', result: 'rested' });
    } finally {
      await worker.close();
    }
  });
});

describe('pause and resume', () => {
  it('pause() gives back the prefetched message at once, pops nothing more, says why in heartbeats; resume() consumes again', async () => {
    const queue = 'pauseq';
    const keys = new CeleryKeys();
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    const registry = new WorkerRegistry(redis.client, { logger: quiet });
    await registry.start();
    const ran: string[] = [];
    let release = (): void => undefined;
    const worker = new CeleryWorker(redis.client, { queues: [queue], prefetch: 1, hostname: 'pausing@test', heartbeatFreq: 0.5, logger: quiet });
    worker.register('t.hold', async ({ args }) => {
      ran.push(String(args[0]));
      if (args[0] === 'first') await new Promise<void>((r) => (release = r));
      return args[0];
    });
    try {
      await worker.start();
      const first = await producer.send('t.hold', ['first']);
      await until('the first task to run', () => ran.includes('first'));
      const second = await producer.send('t.hold', ['second']);
      // prefetched: unacked, not on the queue (registered by the command after its BRPOP, so both are awaited)
      await until('the second to be prefetched', async () => (await redis.client.llen(keys.queue(queue))) === 0 && (await redis.client.hlen('unacked')) === 2);
      worker.pause('Kernel Gateway unreachable at http://127.0.0.1:1');
      expect(worker.paused).toBe('Kernel Gateway unreachable at http://127.0.0.1:1');
      // given back at once, while the first still runs
      await until('the prefetched message back on the queue', async () => (await redis.client.llen(keys.queue(queue))) === 1, 3000);
      await until('a heartbeat saying why', () => registry.list().some((w) => w.hostname === 'pausing@test' && w.paused === 'Kernel Gateway unreachable at http://127.0.0.1:1'), 5000);
      release();
      expect(await producer.backend.getValue(first, 10000)).toBe('first');
      await sleep(1500);
      expect(ran).toEqual(['first']);
      expect(await redis.client.llen(keys.queue(queue))).toBe(1);
      worker.resume();
      expect(await producer.backend.getValue(second, 10000)).toBe('second');
      await until('a heartbeat without the pause', () => registry.list().some((w) => w.hostname === 'pausing@test' && w.paused === undefined), 5000);
    } finally {
      release();
      await worker.close();
      await registry.close();
    }
  });
});

describe('close() with Redis gone', () => {
  it('settles within timeoutMs + finishMs even though Redis never answers again', async () => {
    const own = await startTestRedis();
    const conn = new Redis(own.url, { maxRetriesPerRequest: null });
    conn.on('error', () => undefined);
    const worker = new CeleryWorker(conn, { queues: ['goneq'], logger: quiet });
    worker.register('t.never', async () => undefined);
    await worker.start();
    await own.stop();
    const t0 = Date.now();
    await worker.close({ timeoutMs: 1000, finishMs: 1000 });
    expect(Date.now() - t0).toBeLessThan(4000);
    conn.disconnect();
  });
});

describe('a worker killed with -9', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('has its running and prefetched messages given back soon after its alive key expires (visibility timeout 1 h), never a message another worker holds', async () => {
    const queue = 'lostq';
    const keys = new CeleryKeys();
    // A message a Python worker holds (kombu's layout, no owner record): never touched here.
    const pythonHeld = JSON.stringify([{ body: 'e30=', properties: { delivery_tag: 'py-tag' } }, '', queue]);
    await redis.client.hset('unacked', 'py-tag', pythonHeld);
    await redis.client.zadd('unacked_index', Date.now() / 1000, 'py-tag');
    const victim = spawnWorker({ QUEUES: queue, HOSTNAME_NB: 'victim-lost@test', VISIBILITY: '3600', PREFETCH: '1', LOST_MS: '2000', HEARTBEAT: '0.5' });
    children.push(victim.child);
    await victim.ready;
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    const running = await producer.send('nbgrid.sleep', [60000, 'lost-running']);
    await until('the victim to start', async () => (await log()).includes('victim-lost@test start lost-running'));
    const prefetched = await producer.send('nbgrid.sleep', [100, 'lost-prefetched']);
    // Prefetched means registered as the victim's unacked message, not only popped: a BRPOP's message
    // is registered by the next command (as kombu's QoS.append does), and a kill -9 between the two
    // would lose it, which is not what this test is about (docs/faults.md, "One window is left open").
    await until('the victim to prefetch', async () => (await redis.client.llen(keys.queue(queue))) === 0 && (await redis.client.hlen(keys.unackedHeld('victim-lost@test'))) === 2);
    expect(await redis.client.hget(keys.unackedOwner, (await redis.client.hkeys(keys.unackedHeld('victim-lost@test')))[0])).toBe('victim-lost@test');
    const exited = new Promise((r) => victim.child.once('exit', r));
    victim.child.kill('SIGKILL');
    await exited;
    const t0 = Date.now();
    const survivor = spawnWorker({ QUEUES: queue, HOSTNAME_NB: 'survivor@test', VISIBILITY: '3600', LOST_MS: '2000', RESTORE_MS: '500', HEARTBEAT: '0.5', CONCURRENCY: '2' });
    children.push(survivor.child);
    await survivor.ready;
    await until('the survivor to run both', async () => {
      const lines = await log();
      return lines.includes('survivor@test start lost-running') && lines.includes('survivor@test start lost-prefetched');
    }, 60000);
    // "Within about a minute" (issue 14), against the visibility timeout's hour; the survivor's own
    // start counts in it, which took over 15 s once with the two cores fully loaded.
    expect(Date.now() - t0).toBeLessThan(60000);
    expect(await producer.backend.getValue(prefetched, 10000)).toBe('lost-prefetched');
    // exactly once: each ran once on the survivor
    const lines = await log();
    expect(lines.filter((l) => l === 'survivor@test start lost-running')).toHaveLength(1);
    expect(lines.filter((l) => l === 'survivor@test start lost-prefetched')).toHaveLength(1);
    expect(await redis.client.exists(keys.unackedHeld('victim-lost@test'))).toBe(0);
    expect(await redis.client.sismember(keys.unackedHolders, 'victim-lost@test')).toBe(0);
    expect(await redis.client.hget('unacked', 'py-tag')).toBe(pythonHeld);
    void running;
    survivor.child.kill('SIGKILL');
    await redis.client.hdel('unacked', 'py-tag');
    await redis.client.zrem('unacked_index', 'py-tag');
  });

  it('two survivors racing for the same lost worker give its messages back exactly once', async () => {
    const keys = new CeleryKeys();
    const queue = 'raceq';
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    for (let i = 0; i < 20; i++) await producer.send('t.any', [i]);
    const dead = new UnackedStore(redis.client, keys, { holder: 'dead-race@test', lostAfterMs: 300 });
    await dead.markAlive();
    for (let i = 0; i < 20; i++) expect(await dead.pop([keys.queue(queue)])).not.toBeNull();
    expect(await redis.client.llen(keys.queue(queue))).toBe(0);
    const survivors = [0, 1, 2].map((i) => new UnackedStore(redis.client.duplicate(), keys, { holder: `racer-${i}@test`, lostAfterMs: 300 }));
    for (const s of survivors) await s.markAlive();
    await sleep(400); // the dead one's key expired; the survivors have been alive long enough
    for (const s of survivors) await s.markAlive();
    const counts = await Promise.all(survivors.map((s) => s.restoreLost()));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(20);
    expect(await redis.client.llen(keys.queue(queue))).toBe(20);
    const back = (await redis.client.lrange(keys.queue(queue), 0, -1)).map((raw) => JSON.parse(raw).properties.delivery_tag as string);
    expect(new Set(back).size).toBe(20);
    expect(await redis.client.hvals(keys.unackedOwner)).not.toContain('dead-race@test');
    await redis.client.del(keys.queue(queue));
    for (const s of survivors) s['redis'].disconnect();
  });

  it('a live holder is never restored, and a survivor that just (re)connected waits before judging others', async () => {
    const keys = new CeleryKeys();
    const queue = 'liveq';
    const producer = new CeleryProducer(redis.client, { defaultQueue: queue });
    await producer.send('t.any', [1]);
    const live = new UnackedStore(redis.client, keys, { holder: 'live@test', lostAfterMs: 5000 });
    await live.markAlive();
    expect(await live.pop([keys.queue(queue)])).not.toBeNull();
    const fresh = new UnackedStore(redis.client, keys, { holder: 'fresh@test', lostAfterMs: 300 });
    await fresh.markAlive();
    expect(await fresh.restoreLost()).toBe(0); // not alive for a full lostAfterMs yet
    await sleep(350);
    await fresh.markAlive();
    expect(await fresh.restoreLost()).toBe(0); // live@test is alive
    expect(await redis.client.llen(keys.queue(queue))).toBe(0);
    await live.retire();
  });
});
