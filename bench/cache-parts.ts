/**
 * By hand, not in `make bench`: where the time of a map of 1,000 with 900 cached goes. Starts a
 * private stack without workers, runs a second API service in this process against its Redis and
 * MongoDB (so its parts can be timed), seeds 900 cache entries the way a worker records them,
 * then maps 1,000 (900 cached) and 1,000 plain through `inject()` (validation and serialization
 * included) `BENCH_ROUNDS` times (default 5), printing the median of each part. Also the cold
 * cases: the first cached map of a fresh service (the notebook's digest not memoized yet) and a
 * map after the job's Redis lookup index was lost (filled from MongoDB first).
 *
 *   node -r ./scripts/ts-hook.js bench/cache-parts.ts [N] [CACHED]
 */
import { composeApiService, type IApiService } from '../worker/src/compose/api-service';
import { loadConfig } from '../worker/src/config';
import { inputKey, notebookDigest } from '../worker/src/cache/input-key';
import { benchStack, table, trivialNotebook } from './lib';

const JOB = 'cache-parts';
const IDLE_LABEL = 'bench-nobody';

type Timings = Map<string, number>;

/** Replace `obj[name]` (an async method) by one that adds its time to `into`. */
function timeMethod(obj: object, name: string, label: string, into: () => Timings): void {
  const o = obj as Record<string, (...args: unknown[]) => unknown>;
  const original = o[name].bind(obj);
  o[name] = (...args: unknown[]) => {
    const t0 = process.hrtime.bigint();
    const done = (): void => {
      const t = into();
      t.set(label, (t.get(label) ?? 0) + Number(process.hrtime.bigint() - t0) / 1e6);
    };
    const out = original(...args);
    if (out instanceof Promise) return out.finally(done);
    done();
    return out;
  };
}

const field = (obj: object, name: string): object => (obj as Record<string, object>)[name];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1000);
  const cachedCount = Number(process.argv[3] ?? 900);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  /** Size of each seeded returned value (0: a small number). */
  const resultBytes = Number(process.env.BENCH_RESULT_BYTES ?? 0);
  const stack = await benchStack(0);
  let service: IApiService | null = null;
  try {
    const config = loadConfig({ ...process.env, NBGRID_REDIS_URL: stack.info.redis_url, NBGRID_MONGO_URL: stack.info.mongo_url, NBGRID_TOKEN: 'bench' });
    service = await composeApiService(config, { log: () => undefined, app: { logger: false } });
    const { app, jobs } = service;
    const store = field(field(jobs, 'deps'), 'store') as { cache: object; tasks: object; notebooks: object };
    const publisher = field(field(jobs, 'deps'), 'publisher');
    let current: Timings = new Map();
    const now = (): Timings => current;
    timeMethod(store.cache, 'lookup', 'cache lookup (Redis HMGET + parse)', now);
    timeMethod(store.notebooks, 'describe', 'notebook describe', now);
    timeMethod(store.notebooks, 'get', 'notebook read (digest / warnings)', now);
    timeMethod(store.tasks, 'createMap', 'createMap (all)', now);
    const groups = field(store.tasks, 'groupStore');
    timeMethod(groups, 'groupIdTaken', '  group id check', now);
    timeMethod(field(groups, 'blobs'), 'touch', '  blob touch', now);
    timeMethod(field(groups, 'status'), 'build', '  status index build', now);
    timeMethod(publisher, 'publishMany', 'publish (Celery messages)', now);
    timeMethod(publisher, 'ensureReachable', 'queue reachable check', now);
    timeMethod(store.tasks, 'materialize', 'materialize (background: task docs)', now);

    const inject = async (params: unknown[], cache: boolean): Promise<{ ms: number; cpu: number; body: { task_group: string; cached?: number } }> => {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const res = await app.inject({
        method: 'POST',
        url: `/api/jobs/${JOB}/map`,
        headers: { authorization: 'token bench', 'content-type': 'application/json' },
        payload: JSON.stringify({ params, require: IDLE_LABEL, cache })
      });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const c = process.cpuUsage(c0);
      const cpu = (c.user + c.system) / 1000;
      if (res.statusCode >= 300) throw new Error(`map: ${res.statusCode} ${res.body.slice(0, 300)}`);
      return { ms, cpu, body: res.json() };
    };

    // The notebook, and cache entries for params 0..cachedCount-1 as a worker records them.
    const nb = trivialNotebook();
    await jobs.putNotebook(JOB, nb);
    const seed = await jobs.map(JOB, { params: Array.from({ length: cachedCount }, (_, i) => i), require: IDLE_LABEL });
    await jobs.settled();
    const digest = notebookDigest(nb);
    const cache = store.cache as { record: (job: string, task: { name: string }, key: string, results: string | null, result: unknown) => Promise<void> };
    for (const t of seed.tasks) {
      const i = Number(t.name.slice(t.name.lastIndexOf('-') + 1).replace('.ipynb', ''));
      await cache.record(JOB, { name: t.name }, inputKey(digest, JSON.stringify(i)), `results/${t.name}_x.ipynb`, resultBytes > 0 ? { i, pad: 'x'.repeat(resultBytes) } : i * 2);
    }

    // Pure CPU: the input keys of n parameters (the notebook digest once).
    const texts = Array.from({ length: n }, (_, i) => Buffer.from(JSON.stringify({ a: i, b: [i, 'x'] })));
    const th = process.hrtime.bigint();
    const d = notebookDigest(nb);
    for (const p of texts) inputKey(d, p.toString('utf8'));
    const hashMs = Number(process.hrtime.bigint() - th) / 1e6;

    const rows: string[][] = [];
    // Cold: this service's first cached map (notebook digest not memoized), with the index built.
    current = new Map();
    const cold = await inject(Array.from({ length: n }, (_, i) => i), true);
    await jobs.settled();
    rows.push(['cold service: first cached map answered', cold.ms.toFixed(1), [...current].map(([k, v]) => `${k.trim()} ${v.toFixed(0)}`).join('; ')]);

    // Cold: the Redis index lost.
    const redis = field(field(store.cache, 'index'), 'redis') as { del: (k: string) => Promise<number> };
    await redis.del(`nbgrid:cache:${JOB}`);
    current = new Map();
    const lost = await inject(Array.from({ length: n }, (_, i) => i), true);
    await jobs.settled();
    rows.push(['index lost: cached map answered', lost.ms.toFixed(1), [...current].map(([k, v]) => `${k.trim()} ${v.toFixed(0)}`).join('; ')]);

    const plain: number[] = [];
    const cachedMs: number[] = [];
    const parts = new Map<string, number[]>();
    const plainParts = new Map<string, number[]>();
    for (let r = 0; r < rounds; r++) {
      current = new Map();
      const p = await inject(Array.from({ length: n }, (_, i) => 10 * n + r * n + i), false);
      plain.push(p.ms);
      current.set('CPU of this process for the request', p.cpu);
      for (const [k, v] of current) plainParts.set(k, [...(plainParts.get(k) ?? []), v]);
      await jobs.settled();

      current = new Map();
      const c = await inject(Array.from({ length: n }, (_, i) => i), true);
      if (c.body.cached !== cachedCount) throw new Error(`expected ${cachedCount} cached, got ${c.body.cached}`);
      cachedMs.push(c.ms);
      current.set('CPU of this process for the request', c.cpu);
      const ts = process.hrtime.bigint();
      await jobs.statusJson(JOB, c.body.task_group);
      current.set('status() right after', Number(process.hrtime.bigint() - ts) / 1e6);
      const tr = process.hrtime.bigint();
      await jobs.resultsJson(JOB, c.body.task_group);
      current.set('results() right after (waits for the task documents)', Number(process.hrtime.bigint() - tr) / 1e6);
      await jobs.settled();
      const tr2 = process.hrtime.bigint();
      await jobs.resultsJson(JOB, c.body.task_group);
      current.set('results() again (documents written)', Number(process.hrtime.bigint() - tr2) / 1e6);
      for (const [k, v] of current) parts.set(k, [...(parts.get(k) ?? []), v]);
    }
    rows.push([`plain map of ${n} answered (median of ${rounds})`, median(plain).toFixed(1), [...plainParts].map(([k, v]) => `${k.trim()} ${median(v).toFixed(0)}`).join('; ')]);
    rows.push([`map of ${n}, ${cachedCount} cached, answered (median of ${rounds})`, median(cachedMs).toFixed(1), '']);
    for (const [k, v] of parts) rows.push([`  ${k}`, median(v).toFixed(1), '']);
    rows.push([`  input keys of ${n} object parameters (CPU)`, hashMs.toFixed(1), 'notebook digest once, sha256 + canonical JSON per parameter']);
    table(`where a map of ${n} with ${cachedCount} cached spends its time (ms, in-process service, inject)`, ['part', 'ms', 'detail'], rows);
  } finally {
    await service?.close();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
