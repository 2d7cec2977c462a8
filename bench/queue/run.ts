/**
 * Queue throughput, nbgrid vs Python Celery, on one throwaway Redis: N no-op tasks through
 * nbgrid's CeleryProducer + CeleryWorker (concurrency 2) and through Python Celery
 * (nbgrid's producer + `celery worker --pool threads --concurrency 2` running `peer.noop`),
 * timed from the first publish until every result is stored.
 *
 *   node -r ./scripts/ts-hook.js bench/queue/run.ts [N]
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Redis from 'ioredis';
import { CeleryKeys } from '../../worker/src/celery/keys';
import { CeleryProducer } from '../../worker/src/celery/producer';
import { CeleryWorker } from '../../worker/src/celery/worker';
import { freePort } from '../../worker/src/stack/free-port';

const repo = path.resolve(__dirname, '..', '..');
const N = Number(process.argv[2] ?? 2000);

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} timed out`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Publish N tasks in one pipeline, wait for N results; tasks per second. */
async function measure(redis: Redis, queue: string, taskName: string): Promise<number> {
  const producer = new CeleryProducer(redis, { defaultQueue: queue });
  const envelopes = Array.from({ length: N }, () => producer.envelope(taskName, [], {}));
  const keys = envelopes.map((e) => CeleryKeys.taskMeta(e.headers.id as string));
  const t0 = process.hrtime.bigint();
  await producer.pushEnvelopes(envelopes);
  await waitUntil(`${N} results on ${queue}`, async () => {
    let done = 0;
    for (let i = 0; i < keys.length; i += 1000) done += await redis.exists(...keys.slice(i, i + 1000));
    return done === N;
  }, 600000);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return N / seconds;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-bench-'));
  const port = await freePort();
  const redisProc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}/0`;
  const redis = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (n) => (n > 100 ? null : 50) });
  let py: ChildProcess | undefined;
  let worker: CeleryWorker | undefined;
  try {
    await waitUntil('redis', async () => (await redis.ping().catch(() => '')) === 'PONG', 10000);

    worker = new CeleryWorker(redis, { queues: ['bench-nb'], concurrency: 2, hostname: 'bench-nb@localhost', logger: { info: () => undefined, warn: () => undefined, error: (f, m) => console.error(m, f) } });
    worker.register('peer.noop', async () => null);
    await worker.start();
    const nb = await measure(redis, 'bench-nb', 'peer.noop');
    await worker.close();
    worker = undefined;

    let pyOut = '';
    py = spawn(path.join(repo, '.venv', 'bin', 'celery'), ['-A', 'peer_app', 'worker', '--pool', 'threads', '--concurrency', '2', '-Q', 'bench-py', '-n', 'bench-py@localhost', '--loglevel', 'WARNING', '--without-gossip', '--without-mingle'], {
      cwd: path.join(repo, 'test', 'peers'),
      env: { ...process.env, NBGRID_TEST_REDIS: url, PYTHONPATH: path.join(repo, 'test', 'peers') },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    py.stdout?.on('data', (d: Buffer) => (pyOut += d.toString()));
    py.stderr?.on('data', (d: Buffer) => (pyOut += d.toString()));
    // ready once it answers a ping
    const { ControlClient } = await import('../../worker/src/celery/control-client');
    const control = new ControlClient(redis);
    await waitUntil('python worker', async () => (await control.ping(300)).length > 0, 60000).catch((err: Error) => {
      throw new Error(`${err.message}\n${pyOut}`);
    });
    const python = await measure(redis, 'bench-py', 'peer.noop');

    const pad = (s: string, n: number): string => s.padEnd(n);
    console.log(`queue benchmark: ${N} no-op tasks, concurrency 2, one Redis ${url}`);
    console.log(`${pad('side', 28)}tasks/s`);
    console.log(`${pad('nbgrid (CeleryWorker)', 28)}${nb.toFixed(0)}`);
    console.log(`${pad('Python Celery 5.7 (threads)', 28)}${python.toFixed(0)}`);
    console.log(`ratio nbgrid / python: ${(nb / python).toFixed(2)}x`);
  } finally {
    await worker?.close();
    if (py && py.exitCode === null) {
      const gone = new Promise((r) => py?.once('exit', r));
      py.kill('SIGTERM');
      const t = setTimeout(() => py?.kill('SIGKILL'), 10000);
      await gone;
      clearTimeout(t);
    }
    redis.disconnect();
    const gone = new Promise((r) => redisProc.once('exit', r));
    redisProc.kill('SIGTERM');
    await gone;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
