/**
 * nbgrid's Celery layer against real Python Celery 5.7 on the same Redis: Python clients use
 * nbgrid workers, nbgrid's producer uses Python workers, and Celery's CLI and event receiver
 * see nbgrid workers.
 */
import { randomUUID } from 'crypto';
import { CeleryProducer } from '../../../../worker/src/celery/producer';
import { CeleryWorker } from '../../../../worker/src/celery/worker';
import { RemoteTaskError } from '../../../../worker/src/celery/errors';
import { startTestRedis, type ITestRedis } from './support/redis-server';
import { runPython, spawnPython, type IPythonProcess } from './support/python';


jest.setTimeout(120000);
let redis: ITestRedis;
let worker: CeleryWorker;
const hostname = `nbgrid-test-${randomUUID().slice(0, 8)}@localhost`;
const started: string[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  worker = new CeleryWorker(redis.client, { queues: ['nbq'], concurrency: 2, hostname, heartbeatFreq: 1 });
  worker.register('nbgrid.echo', async ({ args, kwargs }) => ({ args, kwargs }));
  worker.register('nbgrid.fail', async ({ args }) => {
    throw new TypeError(`bad input ${String(args[0])}`);
  });
  worker.register('nbgrid.value_error', async () => {
    throw Object.assign(new Error('custom'), { excType: 'KeyError', excModule: 'builtins' });
  });
  worker.register('nbgrid.wait', async ({ taskId, signal }) => {
    started.push(taskId);
    await new Promise((resolve, reject) => {
      const t = setTimeout(resolve, 30000);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(signal.reason);
      });
    });
  });
  await worker.start();
});

afterAll(async () => {
  await worker?.close();
  await redis?.stop();
});

describe('Python Celery client → nbgrid worker', () => {
  it('AsyncResult.get() returns the value nbgrid computed', async () => {
    const out = JSON.parse(await runPython(redis.url, 'python', ['client.py', 'nbgrid.echo', '[1, "two", [3.5]]', '{"k": {"n": null}}', 'nbq']));
    expect(out.value).toEqual({ args: [1, 'two', [3.5]], kwargs: { k: { n: null } } });
    // and nbgrid's own reader agrees with Python
    const meta = await new CeleryProducer(redis.client).backend.get(out.id);
    expect(meta?.status).toBe('SUCCESS');
    expect(meta?.task_id).toBe(out.id);
  });

  it('a task that throws makes .get() raise the matching Python exception', async () => {
    const out = JSON.parse(await runPython(redis.url, 'python', ['client.py', 'nbgrid.fail', '[42]', '{}', 'nbq']));
    expect(out).toMatchObject({ exc_type: 'TypeError', exc_module: 'builtins', message: 'bad input 42' });
    const named = JSON.parse(await runPython(redis.url, 'python', ['client.py', 'nbgrid.value_error', '[]', '{}', 'nbq']));
    expect(named).toMatchObject({ exc_type: 'KeyError', exc_module: 'builtins' });
  });

  it('celery inspect ping gets a pong from the nbgrid worker', async () => {
    const out = await runPython(redis.url, 'celery', ['-A', 'peer_app', 'inspect', 'ping', '-d', hostname, '--timeout', '3']);
    expect(out).toContain(hostname);
    expect(out).toMatch(/pong/);
  });

  it("app.control.revoke(id, terminate=True) interrupts a running nbgrid task and stores REVOKED", async () => {
    const producer = new CeleryProducer(redis.client);
    const id = await producer.send('nbgrid.wait', [], {}, { queue: 'nbq' });
    const deadline = Date.now() + 10000;
    while (!started.includes(id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(started).toContain(id);
    await runPython(redis.url, 'python', ['-c', `from peer_app import app; app.control.revoke(${JSON.stringify(id)}, terminate=True)`]);
    const meta = await producer.backend.waitFor(id, 10000);
    expect(meta.status).toBe('REVOKED');
  });
});

describe('Python event receiver sees nbgrid events', () => {
  let receiver: IPythonProcess;
  afterAll(async () => receiver?.stop());

  it('task-received/started/succeeded for a task nbgrid ran, and worker heartbeats with nbgrid extras', async () => {
    receiver = spawnPython(redis.url, 'python', ['events.py', '20']);
    await receiver.waitForOutput(/^ready$/m);
    const producer = new CeleryProducer(redis.client);
    const id = await producer.send('nbgrid.echo', [1], {}, { queue: 'nbq' });
    await producer.backend.waitFor(id, 10000);
    await receiver.waitForOutput(new RegExp(`"task-succeeded", "uuid": "${id}"`), 10000);
    await receiver.waitForOutput(/"worker-heartbeat"/, 5000);
    const lines = receiver.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const mine = lines.filter((e) => e.uuid === id).map((e) => e.type);
    expect(mine).toEqual(['task-received', 'task-started', 'task-succeeded']);
    const beat = lines.find((e) => e.type === 'worker-heartbeat' && e.hostname === hostname);
    expect(beat).toMatchObject({ sw_ident: 'nbgrid', labels: ['nbq'] });
  });
});

describe('nbgrid producer → Python Celery worker', () => {
  let py: IPythonProcess;
  beforeAll(async () => {
    py = spawnPython(redis.url, 'celery', ['-A', 'peer_app', 'worker', '--pool', 'solo', '-Q', 'default', '-n', 'py@localhost', '--loglevel', 'INFO']);
    await py.waitForOutput(/ready\./, 60000);
  });
  afterAll(async () => py?.stop());

  it('runs the task; nbgrid reads the value', async () => {
    const producer = new CeleryProducer(redis.client, { defaultQueue: 'default' });
    const id = await producer.send('peer.add', [2, 40]);
    expect(await producer.backend.getValue(id, 20000)).toBe(42);
  });

  it('a failing Python task reads back as a RemoteTaskError with the Python type and traceback', async () => {
    const producer = new CeleryProducer(redis.client, { defaultQueue: 'default' });
    const id = await producer.send('peer.fail', ['nope']);
    const err = await producer.backend.getValue(id, 20000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteTaskError);
    expect(err).toMatchObject({ excType: 'ValueError', excModule: 'builtins' });
    expect((err as RemoteTaskError).message).toContain('nope');
    expect((err as RemoteTaskError).traceback).toContain('ValueError: nope');
  });

  it('publishMany messages with priorities reach the Python worker', async () => {
    const producer = new CeleryProducer(redis.client, { defaultQueue: 'default' });
    const ids = await Promise.all([1, 2, 3].map((i) => producer.send('peer.add', [i, i], {}, { priority: i * 3 })));
    const values = await Promise.all(ids.map((id) => producer.backend.getValue(id, 20000)));
    expect(values).toEqual([2, 4, 6]);
  });
});
