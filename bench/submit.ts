/**
 * Benchmark 2 (and 4 for it): map(range(10000)) over a 1 MB notebook — latency of the API call
 * until every task is queued (map answers after one group document holding all parameters and
 * one pipelined publish; the task documents are written after it, in the background), then the
 * status latency of that group (one Redis HGETALL of its status index), and the bytes MongoDB
 * holds for it once every task document is written. Peer: the same notebook
 * written out 10,000 times, as a loop of papermill calls would (each output is a full copy).
 *
 *   node -r ./scripts/ts-hook.js bench/submit.ts [N]
 */
import { MongoClient } from 'mongodb';
import Redis from 'ioredis';
import { CeleryKeys } from '../worker/src/celery/keys';
import { Api, benchStack, code, notebook, since, stackMemory, table } from './lib';

/** A notebook of about `mb` MB: the trivial cells plus a cell whose stored output is that large. */
function largeNotebook(mb: number): Record<string, unknown> {
  const big = code("print('x' * 100)");
  big.outputs = [{ output_type: 'stream', name: 'stdout', text: ['y'.repeat(mb * 1024 * 1024)] }];
  return notebook([
    code("job = globals().get('job', {'param': 9})", ['parameters']),
    big,
    code("job['result'] = job['param']")
  ]);
}

async function dataBytes(url: string, db: string): Promise<{ total: number; byCollection: Record<string, number> }> {
  const client = await MongoClient.connect(url);
  try {
    const d = client.db(db);
    const byCollection: Record<string, number> = {};
    let total = 0;
    for (const { name } of await d.listCollections().toArray()) {
      const stats = (await d.command({ collStats: name })) as { size?: number };
      byCollection[name] = stats.size ?? 0;
      total += stats.size ?? 0;
    }
    return { total, byCollection };
  } finally {
    await client.close();
  }
}

/** Polls until the group's task documents all exist; returns how many there are. */
async function tasksWritten(url: string, group: string, n: number): Promise<number> {
  const client = await MongoClient.connect(url);
  try {
    const tasks = client.db('nbgrid').collection('tasks');
    for (let i = 0; i < 600; i++) {
      const count = await tasks.countDocuments({ task_group: group });
      if (count >= n) return count;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the task documents of group ${group} were not all written within 60 s`);
  } finally {
    await client.close();
  }
}

export async function submitBench(n = 10000): Promise<{ submit: number; status: number; stored: number; copies: number }> {
  // No workers: measure queueing alone, and leave the tasks in the queue to count them.
  const stack = await benchStack(0);
  const redis = new Redis(stack.info.redis_url);
  try {
    const api = Api.of(stack);
    const nb = largeNotebook(1);
    const nbBytes = Buffer.byteLength(JSON.stringify(nb));
    await api.put('big', nb);
    await api.map('big', [0]); // warm-up (connections, JIT)
    const before = await dataBytes(stack.info.mongo_url, 'nbgrid');
    const params = Array.from({ length: n }, (_, i) => i);
    const t0 = process.hrtime.bigint();
    const group = await api.map('big', params);
    const submit = since(t0);
    const queued = await redis.llen(new CeleryKeys().queue('default', 0));
    const statusTimes: number[] = [];
    let rows = 0;
    for (let i = 0; i < 5; i++) {
      const t1 = process.hrtime.bigint();
      rows = (await api.status('big', group.task_group)).length;
      statusTimes.push(since(t1));
    }
    statusTimes.sort((a, b) => a - b);
    // The task documents are written after the map answers: wait for all of them before counting bytes.
    const written = await tasksWritten(stack.info.mongo_url, group.task_group, n);
    const settled = since(t0);
    const after = await dataBytes(stack.info.mongo_url, 'nbgrid');
    const stored = after.total - before.total;
    const mem = stackMemory(stack);
    table(
      `Benchmark 2, map(range(${n})) over a ${(nbBytes / 1e6).toFixed(2)} MB notebook (no workers; ${queued} messages queued, ${rows} status rows)`,
      ['measure', 'nbgrid', 'peer / target', 'ratio'],
      [
        ['submit latency, API call until all queued (s)', submit, '1 s target', `${(1 / submit).toFixed(2)}x under`],
        ['status latency of the group, median of 5 (ms)', statusTimes[2] * 1000, '100 ms target', `${(0.1 / statusTimes[2]).toFixed(2)}x under`],
        [`all ${written} task documents written, from the call (s)`, settled, '', ''],
        ['bytes stored in MongoDB for the map (MB)', stored / 1e6, `${((n * nbBytes) / 1e6).toFixed(0)} (papermill: ${n} notebook files)`, `${((n * nbBytes) / stored).toFixed(0)}x less`],
        ['bytes per task (B)', stored / n, `${nbBytes}`, ''],
        ['peak RSS API service (MB)', mem.service ?? 0, '', '']
      ]
    );
    const result = { submit, status: statusTimes[2], stored, copies: (n * nbBytes) / stored };
    console.log(`  stored per collection (bytes, after - before): ${JSON.stringify(Object.fromEntries(Object.entries(after.byCollection).map(([k, v]) => [k, v - (before.byCollection[k] ?? 0)])))}`);
    return result;
  } finally {
    redis.disconnect();
    await stack.stop();
  }
}

if (require.main === module) {
  submitBench(Number(process.argv[2] ?? 10000)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
