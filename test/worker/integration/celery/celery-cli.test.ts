/**
 * The real `celery` command line (Celery 5.7 from PyPI) against an nbgrid worker: every inspect
 * command answers in Celery's reply shape, and every control command does what it says (the
 * effect is checked on the worker, the queue or the event stream, not only the reply).
 */
import { randomUUID } from 'crypto';
import Redis from 'ioredis';
import { CeleryKeys } from '../../../../worker/src/celery/keys';
import { decodeBody, decodeEnvelope } from '../../../../worker/src/celery/message';
import { CeleryProducer } from '../../../../worker/src/celery/producer';
import { CeleryWorker } from '../../../../worker/src/celery/worker';
import { WorkerRegistry } from '../../../../worker/src/celery/worker-registry';
import { runPython } from './support/python';
import { startTestRedis, type ITestRedis } from './support/redis-server';

jest.setTimeout(180000);

const TASK = 'nbgrid.run_notebook';

/** The parts of Celery's replies the assertions read. */
interface IStats {
  pool: Record<string, unknown>;
  total: Record<string, number>;
  clock: string;
  [key: string]: unknown;
}
interface IRequest {
  id: string;
  [key: string]: unknown;
}
const keys = new CeleryKeys();
let redis: ITestRedis;
let worker: CeleryWorker;
let producer: CeleryProducer;
let sub: Redis;
const events: Record<string, unknown>[] = [];
const hostname = `nbgrid-cli-${randomUUID().slice(0, 8)}@localhost`;
/** Held tasks: id → release. A task with kwargs.hold waits here (or for its abort). */
const holds = new Map<string, () => void>();
const startedIds: string[] = [];
let shutdownRequested = 0;

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `celery -b <redis> <args> -d <worker> --json`, parsed. */
async function celery(group: 'inspect' | 'control', ...args: string[]): Promise<unknown> {
  const out = await runPython(redis.url, 'celery', ['-b', redis.url, group, ...args, '-d', hostname, '--json', '-t', '10'], 90000);
  return JSON.parse(out.trim().split('\n').pop() as string);
}
/** The worker's part of an inspect reply. */
async function inspect(...args: string[]): Promise<unknown> {
  return ((await celery('inspect', ...args)) as Record<string, unknown>)[hostname];
}
/** The worker's part of a control reply. */
async function control(...args: string[]): Promise<unknown> {
  return ((await celery('control', ...args)) as Record<string, unknown>[])[0]?.[hostname];
}

const send = (kwargs: Record<string, unknown>, queue = 'cli', extra: Parameters<CeleryProducer['send']>[3] = {}): Promise<string> =>
  producer.send(TASK, [], kwargs, { queue, ...extra });

beforeAll(async () => {
  redis = await startTestRedis();
  // No periodic heartbeat during the test: every heartbeat seen is one the worker sent on purpose.
  worker = new CeleryWorker(redis.client, {
    queues: ['cli'], concurrency: 2, prefetch: 1, hostname, heartbeatFreq: 600,
    onShutdownRequest: () => {
      shutdownRequested++;
      void worker.close();
    }
  });
  worker.register(TASK, async ({ taskId, kwargs, signal }) => {
    startedIds.push(taskId);
    if (kwargs.hold) {
      await new Promise<void>((resolve, reject) => {
        holds.set(taskId, resolve);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    return { ok: taskId };
  });
  worker.register('other.task', async () => null);
  sub = redis.client.duplicate();
  sub.on('pmessage', (_p: string, _c: string, data: string) => events.push(decodeBody(decodeEnvelope(data)) as Record<string, unknown>));
  await sub.psubscribe(keys.eventPattern);
  producer = new CeleryProducer(redis.client, { sendSentEvent: true });
  await worker.start();
});

afterAll(async () => {
  for (const release of holds.values()) release();
  await worker?.close({ timeoutMs: 5000 });
  sub?.disconnect();
  await redis?.stop();
});

// A test that failed half-way must not leave tasks holding the slots of the next ones.
afterEach(() => {
  for (const free of holds.values()) free();
});

const release = async (id: string): Promise<void> => (await until(`task ${id} to start`, () => holds.get(id)))();

describe('inspect', () => {
  it('stats has the broker, the pool, prefetch_count, rusage, totals per task name, clock, pid and uptime', async () => {
    const id = await send({});
    await producer.backend.waitFor(id, 30000);
    const stats = (await inspect('stats')) as IStats;
    expect(stats.broker).toMatchObject({ hostname: '127.0.0.1', port: redis.port, transport: 'redis', virtual_host: '0', ssl: false });
    expect(stats.pool).toMatchObject({ 'max-concurrency': 2, processes: [expect.any(Number)], 'max-tasks-per-child': 'N/A' });
    expect(stats.prefetch_count).toBe(3);
    expect(stats.rusage).toMatchObject({ utime: expect.any(Number), stime: expect.any(Number), maxrss: expect.any(Number), nvcsw: expect.any(Number) });
    expect(stats.total[TASK]).toBeGreaterThanOrEqual(1);
    expect(typeof stats.clock).toBe('string');
    expect(Number(stats.clock)).toBeGreaterThan(0);
    expect(stats.pid).toBe(process.pid);
    expect(stats.uptime).toEqual(expect.any(Number));
  });

  it('registered, conf, report and clock', async () => {
    expect(await inspect('registered')).toEqual(['nbgrid.run_notebook', 'other.task']);
    const conf = (await inspect('conf')) as Record<string, unknown>;
    expect(conf).toMatchObject({ broker_url: `redis://127.0.0.1:${redis.port}/0`, worker_concurrency: 2, task_acks_late: true });
    const report = (await inspect('report')) as { ok: string };
    expect(report.ok).toMatch(/software -> nbgrid:/);
    const clock = (await inspect('clock')) as { clock: number };
    expect(clock.clock).toBeGreaterThan(0);
  });

  it('active, reserved, scheduled and query_task list the requests with Celery\'s fields', async () => {
    const a = await send({ hold: true });
    const b = await send({ hold: true });
    await until('two running', () => holds.has(a) && holds.has(b));
    // The eta message first: it takes a slot only until it is popped and held.
    const later = await send({}, 'cli', { countdown: 600 });
    const c = await send({ hold: true });
    await until('c prefetched', async () => ((await inspect('reserved')) as { id: string }[]).some((r) => r.id === c));
    const active = (await inspect('active')) as IRequest[];
    expect(active.map((r) => r.id).sort()).toEqual([a, b].sort());
    expect(active[0]).toMatchObject({
      name: TASK, type: TASK, args: [], kwargs: { hold: true }, hostname, acknowledged: false,
      time_start: expect.any(Number), worker_pid: process.pid,
      delivery_info: { exchange: '', routing_key: 'cli', priority: 0, redelivered: false }
    });
    const reserved = (await inspect('reserved')) as IRequest[];
    expect(reserved).toEqual([expect.objectContaining({ id: c, time_start: null, worker_pid: null })]);
    const scheduled = (await until('the eta task held', async () => {
      const s = (await inspect('scheduled')) as { eta: string; request: IRequest }[];
      return s.length > 0 && s;
    }));
    expect(scheduled).toEqual([{ eta: expect.stringMatching(/\+00:00$/), priority: 0, request: expect.objectContaining({ id: later, name: TASK }) }]);
    const q = (await inspect('query_task', a, c, later, 'no-such-id')) as Record<string, [string, Record<string, unknown>]>;
    expect(Object.keys(q).sort()).toEqual([a, c, later].sort());
    expect(q[a][0]).toBe('active');
    expect(q[c][0]).toBe('reserved');
    expect(q[later][0]).toBe('scheduled');
    expect(q[a][1]).toMatchObject({ id: a, name: TASK });
    await release(a);
    await release(b);
    await release(c);
    await producer.backend.waitFor(c, 30000);
    expect(await control('revoke', later)).toEqual({ ok: `tasks ${later} flagged as revoked` });
    expect(await inspect('revoked')).toContain(later);
  });

  it('active_queues lists the queues in kombu\'s shape', async () => {
    const queues = (await inspect('active_queues')) as Record<string, unknown>[];
    expect(queues).toEqual([expect.objectContaining({ name: 'cli', routing_key: 'cli', exchange: expect.objectContaining({ name: 'cli', type: 'direct' }), durable: true })]);
  });
});

describe('control', () => {
  it('pool_grow and pool_shrink change how many tasks run at once', async () => {
    expect(await control('pool_grow', '1')).toEqual({ ok: 'pool will grow' });
    expect(worker.concurrency).toBe(3);
    const ids = [await send({ hold: true }), await send({ hold: true }), await send({ hold: true })];
    // Three run at once now (two before the grow).
    await until('three running', () => ids.every((id) => holds.has(id)));
    expect(((await inspect('stats')) as IStats).pool['max-concurrency']).toBe(3);
    expect(await control('pool_shrink', '2')).toEqual({ ok: 'pool will shrink' });
    expect(worker.concurrency).toBe(1);
    const next = [await send({ hold: true }), await send({ hold: true })];
    for (const id of ids) await release(id);
    await until('one of the next running', () => next.some((id) => holds.has(id)));
    // Only one runs at concurrency 1: the other waits while the first is held.
    await new Promise((r) => setTimeout(r, 1000));
    expect(next.filter((id) => holds.has(id))).toHaveLength(1);
    expect(await control('pool_shrink', '1')).toEqual({ error: 'ValueError("Can\'t shrink pool. All processes busy!")' });
    for (const id of next) await release(id);
    await Promise.all(next.map((id) => producer.backend.waitFor(id, 30000)));
    expect(await control('autoscale', '2', '1')).toEqual({ ok: 'autoscale now max=2 min=1' });
    expect(worker.concurrency).toBe(2);
    expect(((await inspect('stats')) as IStats).autoscaler).toEqual({ max: 2, min: 1, qty: 2 });
  });

  it('add_consumer serves a new queue; cancel_consumer stops it and the prefetched message still runs', async () => {
    expect(await control('add_consumer', 'extra')).toEqual({ ok: 'add consumer extra' });
    await until('extra consumed', async () => ((await inspect('active_queues')) as { name: string }[]).some((q) => q.name === 'extra'));
    expect(await redis.client.smembers(keys.binding('extra'))).toHaveLength(1);
    const one = await send({}, 'extra');
    expect((await producer.backend.waitFor(one, 30000)).status).toBe('SUCCESS');
    // Fill both slots, then one message of 'extra' is prefetched (capacity 2 + 1).
    const a = await send({ hold: true });
    const b = await send({ hold: true });
    await until('two running', () => holds.has(a) && holds.has(b));
    const prefetched = await send({}, 'extra');
    await until('prefetched', async () => ((await inspect('reserved')) as { id: string }[]).some((r) => r.id === prefetched));
    expect(await control('cancel_consumer', 'extra')).toEqual({ ok: 'no longer consuming from extra' });
    expect(worker.queues).toEqual(['cli']);
    await release(a);
    await release(b);
    expect((await producer.backend.waitFor(prefetched, 30000)).status).toBe('SUCCESS');
    const left = await send({}, 'extra');
    await new Promise((r) => setTimeout(r, 2500));
    expect(await redis.client.llen(keys.queue('extra'))).toBe(1);
    expect(startedIds).not.toContain(left);
    await redis.client.del(keys.queue('extra'));
  });

  it('rate_limit applies to the next tasks of that name and shows in registered', async () => {
    expect(await control('rate_limit', 'nope', '1/s')).toEqual({ error: 'unknown task' });
    expect(await control('rate_limit', TASK, 'often')).toEqual({ error: expect.stringMatching(/^Invalid rate limit string/) });
    expect(await control('rate_limit', TASK, '1/h')).toEqual({ ok: 'new rate limit set successfully' });
    expect(await inspect('registered')).toContain('nbgrid.run_notebook [rate_limit=1/h]');
    const first = await send({});
    const second = await send({});
    expect((await producer.backend.waitFor(first, 30000)).status).toBe('SUCCESS');
    // The second waits for its turn an hour later: reserved, not started.
    await until('second reserved', async () => ((await inspect('reserved')) as { id: string }[]).some((r) => r.id === second));
    expect(startedIds).not.toContain(second);
    expect(await control('rate_limit', TASK, '0')).toEqual({ ok: 'rate limit disabled successfully' });
    expect((await producer.backend.waitFor(second, 30000)).status).toBe('SUCCESS');
  });

  it('time_limit applies to the next tasks of that name', async () => {
    expect(await control('time_limit', 'nope', '1')).toEqual({ error: 'unknown task' });
    expect(await control('time_limit', TASK, '1', '30')).toEqual({ ok: 'time limits set successfully' });
    const id = await send({ hold: true });
    const meta = await producer.backend.waitFor(id, 30000);
    expect(meta.status).toBe('FAILURE');
    expect(meta.result).toMatchObject({ exc_type: 'SoftTimeLimitExceeded', exc_module: 'celery.exceptions' });
    expect(await control('time_limit', TASK, '3000', '3000')).toEqual({ ok: 'time limits set successfully' });
  });

  it('disable_events stops task events, enable_events brings them back; heartbeat sends one now', async () => {
    expect(await control('disable_events')).toEqual({ ok: 'task events disabled' });
    expect(await control('disable_events')).toEqual({ ok: 'task events already disabled' });
    const quiet = await send({});
    await producer.backend.waitFor(quiet, 30000);
    expect(await control('enable_events')).toEqual({ ok: 'task events enabled' });
    const loud = await send({});
    await producer.backend.waitFor(loud, 30000);
    await until('task-succeeded of the second', () => events.some((e) => e.type === 'task-succeeded' && e.uuid === loud));
    expect(events.filter((e) => e.uuid === quiet && e.hostname === hostname)).toEqual([]);
    const before = events.filter((e) => e.type === 'worker-heartbeat').length;
    expect(await control('heartbeat')).toBeNull();
    await until('a heartbeat', () => events.filter((e) => e.type === 'worker-heartbeat').length > before);
  });

  it('task-sent carries the exchange and routing key; task-received too', async () => {
    const id = await send({});
    await producer.backend.waitFor(id, 30000);
    const sent = await until('task-sent', () => events.find((e) => e.type === 'task-sent' && e.uuid === id));
    expect(sent).toMatchObject({ name: TASK, queue: 'cli', exchange: '', routing_key: 'cli', hostname: expect.stringMatching(/^gen\d+@/) });
    const received = await until('task-received', () => events.find((e) => e.type === 'task-received' && e.uuid === id));
    expect(received).toMatchObject({ exchange: '', routing_key: 'cli', hostname });
  });
});

describe('heartbeat counts', () => {
  it('after tasks end, the live worker list shows them done without waiting for the periodic heartbeat', async () => {
    const registry = new WorkerRegistry(redis.client);
    await registry.start();
    try {
      const processed = worker.processed;
      const ids = await Promise.all(Array.from({ length: 6 }, () => send({})));
      for (const id of ids) await producer.backend.waitFor(id, 30000);
      // heartbeatFreq is 600 s: only the heartbeats sent as counts change can bring this.
      const seen = await until('counts in the registry', () => {
        const w = registry.list().find((x) => x.hostname === hostname);
        return w && w.processed === processed + 6 && w.active === 0 ? w : undefined;
      }, 20000);
      expect(seen.active).toBe(0);
    } finally {
      await registry.close();
    }
  });
});

describe('shutdown', () => {
  it('is a warm shutdown: the running task finishes, the prefetched one goes back to its queue, task-rejected says so', async () => {
    const a = await send({ hold: true });
    const b = await send({ hold: true });
    await until('two running', () => holds.has(a) && holds.has(b));
    const c = await send({ hold: true });
    await until('c prefetched', async () => ((await inspect('reserved')) as { id: string }[]).some((r) => r.id === c));
    // Celery sends no reply to shutdown: the command line reports no answer.
    await runPython(redis.url, 'celery', ['-b', redis.url, 'control', 'shutdown', '-d', hostname, '-t', '3'], 60000).catch(() => undefined);
    await until('shutdown requested', () => shutdownRequested === 1);
    // c, and the eta message held since the first tests, are back in the queue.
    await until('c back in the queue', async () => (await redis.client.lrange(keys.queue('cli'), 0, -1)).some((m) => m.includes(c)));
    await until('task-rejected', () => events.some((e) => e.type === 'task-rejected' && e.uuid === c && e.requeue === true));
    await release(a);
    await release(b);
    expect((await producer.backend.waitFor(a, 30000)).status).toBe('SUCCESS');
    await worker.close();
    await until('worker-offline', () => events.some((e) => e.type === 'worker-offline' && e.hostname === hostname));
    expect(startedIds).not.toContain(c);
  });
});
