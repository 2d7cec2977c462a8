/**
 * Issue 15's storage row: tasks/s and MongoDB CPU per task of the trivial notebook on a fresh
 * stack, then on the same stack with BENCH_STORED (100,000) task documents of earlier maps stored
 * (task documents and their group documents, written straight into its MongoDB: running 100,000
 * tasks first would take hours), and the ratio (target >= 0.9).
 *
 *   node -r ./scripts/ts-hook.js bench/storage/stored.ts [N=100] [STORED=100000]
 */
import { MongoClient } from 'mongodb';
import { Api, benchStack, since, stackCpu, table, trivialNotebook } from '../lib';
import { fill } from './ops';

export interface IStoredMeasure {
  label: string;
  tasksPerSecond: number;
  mongoCpuPerTask: number;
  cpuPerTask: number;
}

async function timedMap(api: Api, stack: Parameters<typeof stackCpu>[0], n: number, label: string): Promise<IStoredMeasure> {
  const cpu0 = stackCpu(stack);
  const t0 = process.hrtime.bigint();
  const group = await api.map('bench', Array.from({ length: n }, (_, i) => i));
  await api.waitDone('bench', group.task_group, 500);
  const wall = since(t0);
  await new Promise((r) => setTimeout(r, 2000));
  const cpu1 = stackCpu(stack);
  const total = Object.keys(cpu1).reduce((a, k) => a + cpu1[k] - cpu0[k], 0);
  return { label, tasksPerSecond: n / wall, mongoCpuPerTask: (cpu1.mongodb - cpu0.mongodb) / n, cpuPerTask: total / n };
}

export async function storedBench(n = 100, stored = 100000): Promise<{ fresh: IStoredMeasure; full: IStoredMeasure; ratio: number }> {
  const stack = await benchStack(2);
  try {
    const api = Api.of(stack);
    await api.put('bench', trivialNotebook());
    const warm = await api.map('bench', [0, 1]);
    await api.waitDone('bench', warm.task_group, 50);
    await new Promise((r) => setTimeout(r, 1500));
    const fresh = await timedMap(api, stack, n, 'fresh stack');
    const client = new MongoClient(stack.info.mongo_url);
    const t0 = Date.now();
    try {
      await client.connect();
      const db = client.db(process.env.NBGRID_DB ?? 'nbgrid');
      await fill(db.collection<{ _id: string }>('tasks'), stored, 'old', db.collection<{ _id: string }>('task_groups'));
    } finally {
      await client.close();
    }
    console.log(`  (${stored} task documents of earlier maps stored in ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    await new Promise((r) => setTimeout(r, 1500));
    const full = await timedMap(api, stack, n, `${stored} task documents stored`);
    const ratio = full.tasksPerSecond / fresh.tasksPerSecond;
    table(
      `Storage: trivial notebook, map over range(${n}), 2 workers, fresh stack vs ${stored} task documents stored (local default MongoDB)`,
      ['stack', 'tasks/s', 'MongoDB CPU s/task', 'all CPU s/task'],
      [fresh, full].map((m) => [m.label, m.tasksPerSecond, m.mongoCpuPerTask.toFixed(4), m.cpuPerTask.toFixed(3)])
    );
    console.log(`  ratio stored / fresh: ${ratio.toFixed(2)} (target >= 0.9)`);
    return { fresh, full, ratio };
  } finally {
    await stack.stop();
  }
}

if (require.main === module) {
  storedBench(Number(process.argv[2] ?? 100), Number(process.argv[3] ?? 100000)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
