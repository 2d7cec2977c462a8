/**
 * Issue 19's clean-up row: storage per task of a BENCH_GC (10,000)-task group before and after
 * `gc`, and the time the clean-up takes, end to end through the REST API of a private stack on
 * the local default MongoDB (FerretDB on SQLite). There are no workers: the map is queued, then
 * cancelled (a group with queued tasks is never deleted), so the group holds its group document,
 * its task documents with parameters and revoke state, and its status index; no result notebooks.
 *
 *   node -r ./scripts/ts-hook.js bench/gc/run.ts [N=10000]
 */
import { BSON, MongoClient, type Db } from 'mongodb';
import { Api, benchStack, since, sleep, table, trivialNotebook } from '../lib';

export interface IGcMeasure {
  n: number;
  /** Bytes of every document in the database per task of the group, before the clean-up. */
  perTaskBefore: number;
  /** The same after (what is left: the main notebook and its blob), per task of the group. */
  perTaskAfter: number;
  /** Seconds the clean-up took. */
  seconds: number;
  /** What the clean-up reported. */
  report: { tasks: number; bytes: number; blobs: number; blob_bytes: number };
}

/** BSON bytes of every document of the database. */
async function storedBytes(db: Db): Promise<number> {
  let total = 0;
  for (const c of await db.listCollections().toArray()) {
    for await (const d of db.collection(c.name).find({})) total += BSON.calculateObjectSize(d);
  }
  return total;
}

async function waitMaterialized(db: Db, group: string, timeoutMs = 600000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const g = await db.collection<{ _id: string; materialized?: boolean }>('task_groups').findOne({ _id: group });
    if (g && g.materialized !== false) return;
    if (Date.now() > deadline) throw new Error(`group ${group} was not materialized`);
    await sleep(500);
  }
}

export async function gcBench(n = 10000): Promise<IGcMeasure> {
  const stack = await benchStack(0);
  const client = new MongoClient(stack.info.mongo_url);
  try {
    await client.connect();
    const db = client.db(process.env.NBGRID_DB ?? 'nbgrid');
    const api = Api.of(stack);
    await api.put('bench', trivialNotebook());
    const params = Array.from({ length: n }, (_, i) => ({ i, label: `task ${i}` }));
    const a = await api.map('bench', params);
    await waitMaterialized(db, a.task_group);
    await api.request('POST', '/api/jobs/bench/cancel', { task_group: a.task_group });
    const before = await storedBytes(db);
    const t0 = process.hrtime.bigint();
    const report = await api.request<IGcMeasure['report']>('POST', '/api/gc', { job: 'bench', task_group: a.task_group });
    const seconds = since(t0);
    const after = await storedBytes(db);
    const m: IGcMeasure = { n, perTaskBefore: before / n, perTaskAfter: after / n, seconds, report };
    table(
      `Clean-up of a ${n}-task group (queued, then cancelled; no workers), through the API (local default MongoDB)`,
      ['measure', 'value'],
      [
        ['stored bytes per task before gc', m.perTaskBefore.toFixed(0)],
        ['stored bytes per task after gc', m.perTaskAfter.toFixed(1)],
        ['gc of the group (s)', seconds.toFixed(2)],
        ['gc reported', `${report.tasks} tasks, ${report.bytes} document bytes, ${report.blobs} blobs`]
      ]
    );
    return m;
  } finally {
    await client.close();
    await stack.stop();
  }
}

if (require.main === module) {
  gcBench(Number(process.argv[2] ?? 10000)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
