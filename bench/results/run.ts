/**
 * Issue 17's results row: `job.results(as_frame=True)` of a BENCH_RESULTS (10,000)-task group,
 * target <= 1 s, beside the same table built the way a papermill user builds it: reading 10,000
 * papermill output notebooks with scrapbook (`peers/scrapbook_table.py`), in the same run.
 *
 * The group is a real grid map (100 x 100) through the API of a private stack without workers;
 * each task's outcome (SUCCESS/OK, a returned object, two glued values taken out of a notebook
 * papermill executed with scrapbook, by the extraction a worker runs) is then written straight
 * into its MongoDB, and each task's row into the results read model in Redis with the code the
 * worker's recording calls (`ResultsReadModel.putDocs`), as 10,000 finished runs would leave
 * them: running 10,000 notebooks is what benchmark 1 measures, not this row. Timed: the Python
 * client's first call and later calls (median of 3), the REST `?format=table` and `?format=csv`
 * answers alone, and the table built by a fresh job service on the stack's stores (no table kept
 * in memory) with the read model as written and after its key was deleted (rebuilt from MongoDB).
 *
 *   node -r ./scripts/ts-hook.js bench/results/run.ts [N=10000]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Redis from 'ioredis';
import { Binary, MongoClient } from 'mongodb';
import { encodeJson } from '../../worker/src/domain/json-bytes';
import type { ITaskPublisher } from '../../worker/src/domain/ports';
import { JobService } from '../../worker/src/jobs/job-service';
import { scrapsBytes } from '../../worker/src/notebooks/scraps';
import { NbgridStore } from '../../worker/src/storage/nbgrid-store';
import { ResultsReadModel, type ResultRowSource } from '../../worker/src/storage/results-read-model';
import { StatusIndex } from '../../worker/src/storage/status-index';
import { Api, benchStack, PYTHON, REPO, run, since, sleep, table, trivialNotebook } from '../lib';

export interface IResultsMeasure {
  n: number;
  /** Seconds of `job.results(as_frame=True)` in the Python client: the median of 3 calls after the first. */
  frame: number;
  /** The first call: the table is built (from the read model in Redis and the group's parameters). */
  cold: number;
  /** A fresh job service's table, the read model as the workers left it (median of 3). */
  service: number;
  /** The same after the read model's key was deleted: every value read from MongoDB, rows written back. */
  rebuild: number;
  /** Seconds of `GET .../results?format=table` and `?format=csv` alone. */
  rest: number;
  csv: number;
  /** Seconds scrapbook took to read the N papermill output notebooks into the same table. */
  peer: number;
  peerRows: number;
}

/** A glue output as scrapbook 0.5 writes it (checked against a real one in the unit tests). */
const glue = (name: string, data: unknown) => ({
  output_type: 'display_data',
  data: { 'application/scrapbook.scrap.json+json': { name, data, encoder: 'json', version: 1 } },
  metadata: { scrapbook: { name, data: true, display: false } }
});

async function waitMaterialized(client: MongoClient, group: string, timeoutMs = 600000): Promise<void> {
  const groups = client.db(process.env.NBGRID_DB ?? 'nbgrid').collection<{ _id: string; materialized?: boolean }>('task_groups');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const g = await groups.findOne({ _id: group });
    if (g && g.materialized !== false) return;
    if (Date.now() > deadline) throw new Error(`group ${group} was not materialized`);
    await sleep(500);
  }
}

/**
 * Every task finished OK, as a worker's recordRun leaves it (outcome, one run, result, scraps) in
 * MongoDB, then its row in the results read model, written by the call the recording makes.
 */
async function finishAll(client: MongoClient, redisUrl: string, job: string, group: string, taskIds: string[]): Promise<void> {
  const n = taskIds.length;
  const tasks = client.db(process.env.NBGRID_DB ?? 'nbgrid').collection('tasks');
  const ts = new Date().toISOString();
  const ops = [];
  const written: ResultRowSource[] = [];
  for (let i = 0; i < n; i++) {
    const alpha = Math.round(0.01 * (Math.floor(i / 100) + 1) * 1e4) / 1e4;
    const k = (i % 100) + 1;
    const name = `tasks/${job}/${group}-${i}`;
    const scraps = scrapsBytes({ cells: [{ cell_type: 'code', outputs: [glue('acc', alpha * k), glue('loss', alpha / k)] }] });
    const run = { status: 'OK', ts, message: '', results: `results/${name}.ipynb_${ts}.ipynb`, duration: 0.5, worker: 'nbgrid@bench', attempt: 1, task_id: taskIds[i] };
    const result = new Binary(encodeJson({ score: alpha * k }));
    // As findOneAndUpdate returns it to the recording: the whole document (rev 1: its first update).
    written.push({ task_group: group, job_id: i, task_id: taskIds[i], run_status: 'OK', rev: 1, param: new Binary(encodeJson({ alpha, n: k })), result, ...(scraps ? { scraps: new Binary(scraps) } : {}) });
    ops.push({
      updateOne: {
        filter: { _id: name },
        update: {
          $set: {
            state: 'SUCCESS',
            run_status: 'OK',
            worker: 'nbgrid@bench',
            job_runs: [run],
            run_keys: [`${taskIds[i]}:1`],
            runs_total: 1,
            result,
            ...(scraps ? { scraps: new Binary(scraps) } : {}),
            updated: ts
          },
          $inc: { rev: 1 }
        }
      }
    });
  }
  // Batches of 20 statements: FerretDB v1 hangs on an update of 100 (storage/task-bulk-updates.ts).
  for (let i = 0; i < ops.length; i += 80) {
    await Promise.all([0, 20, 40, 60].map((o) => (ops.slice(i + o, i + o + 20).length ? tasks.bulkWrite(ops.slice(i + o, i + o + 20), { ordered: false }) : null)));
  }
  const redis = new Redis(redisUrl);
  try {
    const log: string[] = [];
    await new ResultsReadModel(redis).putDocs(written, (l) => log.push(l));
    if (log.length) throw new Error(log.join('\n'));
  } finally {
    redis.disconnect();
  }
}

const publisher: ITaskPublisher = { publishMany: async () => undefined, revoke: async () => undefined };

/** Seconds a fresh job service (no table in memory) takes to build the group's table, on the stack's stores. */
async function serviceTable(stack: { info: { mongo_url: string; redis_url: string } }, job: string, group: string, count: number, dropReadModel: boolean): Promise<number> {
  const redis = new Redis(stack.info.redis_url);
  const readModel = new ResultsReadModel(redis);
  const store = await NbgridStore.open(stack.info.mongo_url, { dbName: process.env.NBGRID_DB ?? 'nbgrid', statusIndex: new StatusIndex(redis), resultsReadModel: readModel });
  try {
    if (dropReadModel) await redis.del(readModel.key(group));
    const svc = new JobService({ store, publisher, liveWorkers: async () => [], emit: () => undefined });
    const t0 = process.hrtime.bigint();
    const t = await svc.resultsTable(job, group);
    const s = since(t0);
    if (t.rows.length !== count) throw new Error(`the table has ${t.rows.length} rows, not ${count}`);
    return s;
  } finally {
    await store.close();
    redis.disconnect();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function resultsBench(n = 10000): Promise<IResultsMeasure> {
  const side = Math.ceil(Math.sqrt(n));
  const stack = await benchStack(0);
  const client = new MongoClient(stack.info.mongo_url);
  const peerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-bench-scrapbook-'));
  try {
    await client.connect();
    const api = Api.of(stack);
    await api.put('bench', trivialNotebook());
    const alphas = Array.from({ length: side }, (_, i) => Math.round(0.01 * (i + 1) * 1e4) / 1e4);
    const ns = Array.from({ length: Math.ceil(n / side) }, (_, i) => i + 1);
    const m = await api.request<{ task_group: string; count: number; tasks: { name: string; task_id: string }[] }>('POST', '/api/jobs/bench/map', { grid: { alpha: alphas, n: ns } });
    await waitMaterialized(client, m.task_group);
    await finishAll(client, stack.info.redis_url, 'bench', m.task_group, m.tasks.map((t) => t.task_id));
    // Written around the workers' code path: drop the group's status index and let one status()
    // rebuild it, as it stands when workers recorded the runs (it follows every write).
    const redis = new Redis(stack.info.redis_url);
    await redis.del(`nbgrid:status:${m.task_group}`);
    redis.disconnect();
    await api.status('bench', m.task_group);

    // The Python client, as a user calls it (its import and the first connection not counted).
    const code = [
      'import json, sys, time',
      'import pandas',
      'from nbgrid import om',
      "job = om.runtime.job('bench')",
      // The first connection (and the service's answer to it), not the table.
      'job.parameters()',
      'times = []',
      'for _ in range(4):',
      '    t0 = time.perf_counter()',
      '    df = job.results(task_group=sys.argv[1], as_frame=True)',
      '    times.append(time.perf_counter() - t0)',
      "print(json.dumps({'times': times, 'shape': list(df.shape), 'columns': list(df.columns)}))"
    ].join('\n');
    const out = await run(PYTHON, ['-c', code, m.task_group], {
      ...process.env,
      PYTHONPATH: REPO,
      NBGRID_URL: stack.info.api_url,
      NBGRID_TOKEN: stack.info.token
    });
    const py = JSON.parse(out.trim().split('\n').pop() as string) as { times: number[]; shape: number[]; columns: string[] };

    const timeRest = async (format: string): Promise<number> => {
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${stack.info.api_url}/api/jobs/bench/results?task_group=${m.task_group}&format=${format}`, {
        headers: { Authorization: `token ${stack.info.token}` }
      });
      await res.text();
      return since(t0);
    };
    const rest = median([await timeRest('table'), await timeRest('table'), await timeRest('table')]);
    const csv = median([await timeRest('csv'), await timeRest('csv'), await timeRest('csv')]);
    const service = median([await serviceTable(stack, 'bench', m.task_group, m.count, false), await serviceTable(stack, 'bench', m.task_group, m.count, false), await serviceTable(stack, 'bench', m.task_group, m.count, false)]);
    const rebuild = await serviceTable(stack, 'bench', m.task_group, m.count, true);

    const peerOut = await run(PYTHON, [path.join(REPO, 'bench', 'peers', 'scrapbook_table.py'), peerDir, String(m.count)]);
    const peer = JSON.parse(peerOut.trim().split('\n').pop() as string) as { seconds: number; rows: number; columns: string[]; bytes: number };

    const cold = py.times[0];
    const frame = median(py.times.slice(1));
    table(
      `Results as a table: ${m.count} finished tasks of a ${side} x ${ns.length} grid (local default MongoDB)`,
      ['side', 'seconds', 'rows x columns', 'detail'],
      [
        ['nbgrid job.results(as_frame=True), first call', cold.toFixed(2), `${py.shape[0]} x ${py.shape[1]}`, `read model + status index (Redis) + parameters; ${py.columns.join(',')}`],
        ['nbgrid job.results(as_frame=True), again (median of 3)', frame.toFixed(2), `${py.shape[0]} x ${py.shape[1]}`, 'unchanged group: status rows from Redis, table kept'],
        ['nbgrid GET results?format=table (again)', rest.toFixed(2), '', 'cells as stored'],
        ['nbgrid GET results?format=csv (again)', csv.toFixed(2), '', ''],
        ['job service table, fresh (median of 3)', service.toFixed(2), '', 'in the service, no table in memory: what a first call costs the API'],
        ['job service table, read model deleted', rebuild.toFixed(2), '', 'every value read from MongoDB and written back (after a Redis flush)'],
        [`scrapbook over ${m.count} papermill output notebooks`, peer.seconds.toFixed(2), `${peer.rows} x ${peer.columns.length}`, `${(peer.bytes / 1e6).toFixed(1)} MB of notebooks; ${peer.columns.join(',')}`]
      ]
    );
    return { n: m.count, frame, cold, service, rebuild, rest, csv, peer: peer.seconds, peerRows: peer.rows };
  } finally {
    await client.close();
    await stack.stop();
    fs.rmSync(peerDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  resultsBench(Number(process.argv[2] ?? 10000)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
