/**
 * Issue 15's bulk row: `cancel`, `restart` (after the cancel: every task restarts) and `restart`
 * with `reset` of a BENCH_BULK (10,000)-task group, end to end through the REST API of a private
 * stack with no workers (the tasks stay queued), target <= 10 s each, with the CPU seconds of
 * MongoDB, the API service and Redis. Then where the time goes: the storage parts timed straight
 * against its MongoDB (a group read, reads by `_id` one at a time and by `$in`, bulk writes of 20
 * statements and of the size the bulk updates use).
 *
 *   node -r ./scripts/ts-hook.js bench/bulk/run.ts [N=10000]
 */
import * as os from 'node:os';
import { MongoClient } from 'mongodb';
import { BULK_WRITE_BATCH } from '../../worker/src/storage/task-bulk-updates';
import { Api, benchStack, since, sleep, stackCpu, table, trivialNotebook } from '../lib';

export interface IBulkMeasure {
  n: number;
  cancel: number;
  restart: number;
  reset: number;
  /** CPU seconds of MongoDB, the API service and Redis during each operation. */
  cpu: Record<'cancel' | 'restart' | 'reset', { mongodb: number; service: number; redis: number }>;
  /** The machine's 1-minute load average when the bulk row started (2 cores: above 2 is contention). */
  load: number;
}

/** Waits until the group's task documents all exist (the map writes them after queueing). */
async function waitMaterialized(client: MongoClient, group: string, timeoutMs = 600000): Promise<void> {
  const db = client.db(process.env.NBGRID_DB ?? 'nbgrid');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const g = await db.collection<{ _id: string; materialized?: boolean }>('task_groups').findOne({ _id: group });
    if (g && g.materialized !== false) return;
    if (Date.now() > deadline) throw new Error(`group ${group} was not materialized`);
    await sleep(500);
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = process.hrtime.bigint();
  const out = await fn();
  return [since(t0), out];
}

export async function bulkBench(n = 10000): Promise<IBulkMeasure> {
  const stack = await benchStack(0);
  const client = new MongoClient(stack.info.mongo_url);
  try {
    await client.connect();
    const api = Api.of(stack);
    await api.put('bench', trivialNotebook());
    const params = Array.from({ length: n }, (_, i) => i);
    const a = await api.map('bench', params);
    await waitMaterialized(client, a.task_group);
    const load = os.loadavg()[0];
    // CPU of the parts during one operation (the API answers when the work is done; the deletes of
    // ended attempts' active entries that follow in the background are counted in the next one).
    const withCpu = async <T>(fn: () => Promise<T>): Promise<[number, T, { mongodb: number; service: number; redis: number }]> => {
      const c0 = stackCpu(stack);
      const [s, out] = await timed(fn);
      const c1 = stackCpu(stack);
      return [s, out, { mongodb: c1.mongodb - c0.mongodb, service: c1.service - c0.service, redis: c1.redis - c0.redis }];
    };
    const [cancel, c, cancelCpu] = await withCpu(() => api.request<{ revoked: number }>('POST', '/api/jobs/bench/cancel', { task_group: a.task_group }));
    const [restart, r, restartCpu] = await withCpu(() => api.request<{ restarted: unknown[] }>('POST', '/api/jobs/bench/restart', { task_group: a.task_group }));
    const [reset, z, resetCpu] = await withCpu(() => api.request<{ restarted: unknown[] }>('POST', '/api/jobs/bench/restart', { task_group: a.task_group, reset: true }));
    const cpuText = (x: { mongodb: number; service: number; redis: number }) => `${x.mongodb.toFixed(1)} / ${x.service.toFixed(1)} / ${x.redis.toFixed(1)}`;
    const rows = await api.status('bench', a.task_group);
    const pending = rows.filter((row) => row.status === 'PENDING').length;
    table(
      `Bulk: ${n} queued tasks (no workers), end to end through the API (local default MongoDB)`,
      ['operation', 'seconds', 'CPU s: MongoDB / API / Redis', 'tasks', 'target'],
      [
        ['cancel', cancel.toFixed(2), cpuText(cancelCpu), `${c.revoked} revoked`, '<= 10 s'],
        ['restart (after cancel)', restart.toFixed(2), cpuText(restartCpu), `${r.restarted.length} restarted`, '<= 10 s'],
        ['restart with reset', reset.toFixed(2), cpuText(resetCpu), `${z.restarted.length} restarted`, '<= 10 s'],
        ['status afterwards', '-', '-', `${pending} of ${rows.length} PENDING`, String(n)]
      ]
    );
    console.log(`  (load average ${load.toFixed(1)} on ${os.cpus().length} cores when this row started: above ${os.cpus().length} the seconds measure the other load too; the CPU seconds less so)`);
    await breakdown(stack, client, a.task_group);
    return { n, cancel, restart, reset, cpu: { cancel: cancelCpu, restart: restartCpu, reset: resetCpu }, load };
  } finally {
    await client.close();
    await stack.stop();
  }
}

/** The storage parts alone, straight against the stack's MongoDB (after the API runs above), with MongoDB's CPU seconds. */
async function breakdown(stack: Awaited<ReturnType<typeof benchStack>>, client: MongoClient, group: string): Promise<void> {
  const tasks = client.db(process.env.NBGRID_DB ?? 'nbgrid').collection<{ _id: string; task_id: string }>('tasks');
  const mongoCpu = async <T>(fn: () => Promise<T>): Promise<[number, number, T]> => {
    const c0 = stackCpu(stack).mongodb;
    const [s, out] = await timed(fn);
    return [s, stackCpu(stack).mongodb - c0, out];
  };
  const [byGroup, byGroupCpu, docs] = await mongoCpu(() => tasks.find({ job: 'bench', task_group: group }, { projection: { param: 0, result: 0 } }).toArray());
  const slice = docs.slice(0, 500);
  const [byId, byIdCpu] = await mongoCpu(async () => {
    for (const d of slice) await tasks.findOne({ _id: d._id }, { projection: { param: 0, result: 0 } });
  });
  const [byIn, byInCpu] = await mongoCpu(() => tasks.find({ _id: { $in: slice.map((d) => d._id) } }, { projection: { param: 0, result: 0 }, batchSize: 500 }).toArray());
  const update = (size: number) =>
    mongoCpu(async () => {
      for (let i = 0; i < slice.length; i += size) {
        await tasks.bulkWrite(
          slice.slice(i, i + size).map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $set: { updated: new Date().toISOString() } } } })),
          { ordered: false }
        );
      }
    });
  const [by20, by20Cpu] = await update(20);
  const [by90, by90Cpu] = await update(BULK_WRITE_BATCH);
  const x = (docs.length / 500).toFixed(0);
  table('Where the time goes (straight to MongoDB)', ['operation', 'seconds', 'MongoDB CPU s'], [
    [`read the group's ${docs.length} tasks with one filter on job+task_group`, byGroup.toFixed(2), byGroupCpu.toFixed(2)],
    [`read 500 tasks by _id, one at a time (x${x} for the group)`, byId.toFixed(2), byIdCpu.toFixed(2)],
    [`read 500 tasks with one _id $in query, as the bulk updates do (x${x})`, byIn.toFixed(2), byInCpu.toFixed(2)],
    [`update 500 tasks by _id in bulk writes of 20 statements (x${x})`, by20.toFixed(2), by20Cpu.toFixed(2)],
    [`update 500 tasks by _id in bulk writes of ${BULK_WRITE_BATCH}, as the bulk updates do (x${x})`, by90.toFixed(2), by90Cpu.toFixed(2)]
  ]);
}

if (require.main === module) {
  bulkBench(Number(process.argv[2] ?? 10000)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
