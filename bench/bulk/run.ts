/**
 * Issue 15's bulk row: `cancel`, `restart` (after the cancel: every task restarts) and `restart`
 * with `reset` of a BENCH_BULK (10,000)-task group, end to end through the REST API of a private
 * stack with no workers (the tasks stay queued), target <= 10 s each. Then where the time goes:
 * the same storage work timed straight against its MongoDB (one group read, one write of every
 * task) and Redis (revoking every id).
 *
 *   node -r ./scripts/ts-hook.js bench/bulk/run.ts [N=10000]
 */
import { MongoClient } from 'mongodb';
import { Api, benchStack, since, sleep, table, trivialNotebook } from '../lib';

export interface IBulkMeasure {
  n: number;
  cancel: number;
  restart: number;
  reset: number;
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
    const [cancel, c] = await timed(() => api.request<{ revoked: number }>('POST', '/api/jobs/bench/cancel', { task_group: a.task_group }));
    const [restart, r] = await timed(() => api.request<{ restarted: unknown[] }>('POST', '/api/jobs/bench/restart', { task_group: a.task_group }));
    const [reset, z] = await timed(() => api.request<{ restarted: unknown[] }>('POST', '/api/jobs/bench/restart', { task_group: a.task_group, reset: true }));
    const rows = await api.status('bench', a.task_group);
    const pending = rows.filter((row) => row.status === 'PENDING').length;
    table(
      `Bulk: ${n} queued tasks (no workers), end to end through the API (local default MongoDB)`,
      ['operation', 'seconds', 'tasks', 'target'],
      [
        ['cancel', cancel.toFixed(2), `${c.revoked} revoked`, '<= 10 s'],
        ['restart (after cancel)', restart.toFixed(2), `${r.restarted.length} restarted`, '<= 10 s'],
        ['restart with reset', reset.toFixed(2), `${z.restarted.length} restarted`, '<= 10 s'],
        ['status afterwards', '-', `${pending} of ${rows.length} PENDING`, String(n)]
      ]
    );
    await breakdown(client, a.task_group);
    return { n, cancel, restart, reset };
  } finally {
    await client.close();
    await stack.stop();
  }
}

/** The storage parts alone, straight against the stack's MongoDB (after the API runs above). */
async function breakdown(client: MongoClient, group: string): Promise<void> {
  const tasks = client.db(process.env.NBGRID_DB ?? 'nbgrid').collection<{ _id: string; task_id: string }>('tasks');
  const [byGroup, docs] = await timed(() => tasks.find({ job: 'bench', task_group: group }, { projection: { param: 0, result: 0 } }).toArray());
  const [byId] = await timed(async () => {
    for (const d of docs.slice(0, 500)) await tasks.findOne({ _id: d._id }, { projection: { param: 0, result: 0 } });
  });
  const [batched] = await timed(async () => {
    const slice = docs.slice(0, 500);
    for (let i = 0; i < slice.length; i += 20) {
      await tasks.bulkWrite(
        slice.slice(i, i + 20).map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $set: { updated: new Date().toISOString() } } } })),
        { ordered: false }
      );
    }
  });
  table('Where the time goes (straight to MongoDB)', ['operation', 'seconds'], [
    [`read the group's ${docs.length} tasks with one filter on job+task_group`, byGroup.toFixed(2)],
    [`read 500 tasks by _id, one at a time (x${(docs.length / 500).toFixed(0)} for the group)`, byId.toFixed(2)],
    [`update 500 tasks by _id in bulk writes of 20 (x${(docs.length / 500).toFixed(0)} for the group)`, batched.toFixed(2)]
  ]);
}

if (require.main === module) {
  bulkBench(Number(process.argv[2] ?? 10000)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
