/**
 * Storage measurement for issue 15: for FerretDB v1 on SQLite (the local default, started by
 * worker/src/stack/mongo.ts) and on PostgreSQL (a private cluster, `postgres-cluster.ts`), the
 * latency and FerretDB (+ PostgreSQL) CPU of each storage operation nbgrid does per task, on an
 * almost empty store and with BENCH_STORED (100,000) task documents stored; then an atomicity
 * test: N concurrent conditional updates of one document, repeated, counting double matches.
 *
 *   node -r ./scripts/ts-hook.js bench/storage/ops.ts [sqlite,postgresql] [stored=100000] [ferretdb binary]
 *
 * (Over 300 lines on purpose: one standalone measurement, read top to bottom; `stored.ts` reuses
 * its task documents and `fill`.)
 *
 * The probed tasks are written last, as a running map's newest tasks are: FerretDB reads rows in
 * storage order, so a scan that finds an early row stops early and would hide the cost.
 *
 * Why the shapes differ: FerretDB v1.24's SQLite backend pushes a filter down to SQL only when it
 * is exactly `{_id: <string>}` (backends/sqlite/collection.go, Query); any other filter reads every
 * document of the collection and filters in Go. Even then, upstream v1.24.2 filters by
 * `_ferretdb_sjson->'$._id'` while its `_id` index is on `_ferretdb_sjson->"_id"`, so SQLite scans
 * (scripts/bootstrap.sh builds it with the filter made the index's expression; pass the upstream
 * binary as the third argument to compare). Its PostgreSQL backend pushes scalar equalities down as
 * `_jsonb->'k' @> v`, which its btree `_id` index does not serve either. On both, findAndModify/update reads the
 * matching document and then writes it back by `_id` in a second statement (handler/
 * msg_findandmodify.go, common.UpdateDocument, backends/*\/collection.go UpdateAll), so a
 * condition in the filter is not atomic with the write.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Binary, MongoClient, type Collection, type Db, type Document } from 'mongodb';

/** A collection of documents with string ids (what nbgrid stores). */
export type Coll = Collection<{ _id: string } & Document>;
import { freePort } from '../../worker/src/stack/free-port';
import { spawnManaged } from '../../worker/src/stack/managed-process';
import { startMongo } from '../../worker/src/stack/mongo';
import { ferretdbBin } from '../../worker/src/stack/paths';
import { waitFor } from '../../worker/src/stack/wait-for';
import { pingMongo } from '../../worker/src/stack/mongo';
import { cpuSeconds, fmt, table } from '../lib';
import { startPostgres } from './postgres-cluster';

export type Backend = 'sqlite' | 'postgresql';

interface IFerret {
  url: string;
  /** CPU seconds so far of FerretDB and, on PostgreSQL, of the cluster's processes. */
  cpu(): number;
  stop(): Promise<void>;
}

/** Every live process whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

function treeCpu(pid: number): number {
  const own = cpuSeconds(pid);
  let total = own ? own.self + own.children : 0;
  for (const c of childrenOf(pid)) total += cpuSeconds(c)?.self ?? 0;
  return total;
}

/**
 * FerretDB on `backend` in a temp dir: on SQLite as the stack starts it (`startMongo`), or the
 * FerretDB binary `bin` on the same arguments (to compare builds).
 */
export async function startFerret(backend: Backend, bin = ferretdbBin): Promise<IFerret> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nbgrid-storage-${backend}-`));
  if (backend === 'sqlite' && bin === ferretdbBin) {
    const mongo = await startMongo({ dir, env: {} });
    const pid = mongo.process!.pid;
    return {
      url: mongo.url,
      cpu: () => treeCpu(pid),
      async stop() {
        await mongo.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
  }
  if (backend === 'sqlite') {
    const port = await freePort();
    const data = path.join(dir, 'ferretdb');
    fs.mkdirSync(data);
    const proc = spawnManaged({
      name: 'ferretdb',
      command: bin,
      args: ['--handler=sqlite', `--sqlite-url=file:${data}/`, `--listen-addr=127.0.0.1:${port}`, `--state-dir=${data}`, '--debug-addr=-', '--telemetry=disable', '--log-level=warn'],
      dir
    });
    const url = `mongodb://127.0.0.1:${port}/`;
    await waitFor('FerretDB', () => pingMongo(url), { timeoutMs: 30000, intervalMs: 200, isAlive: proc.isAlive });
    return {
      url,
      cpu: () => treeCpu(proc.pid),
      async stop() {
        await proc.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
  }
  const pg = await startPostgres();
  const port = await freePort();
  const proc = spawnManaged({
    name: 'ferretdb',
    command: ferretdbBin,
    args: ['--handler=postgresql', `--postgresql-url=${pg.url}`, `--listen-addr=127.0.0.1:${port}`, `--state-dir=${dir}`, '--debug-addr=-', '--telemetry=disable', '--log-level=warn'],
    dir
  });
  const url = `mongodb://127.0.0.1:${port}/`;
  await waitFor('FerretDB', () => pingMongo(url), { timeoutMs: 30000, intervalMs: 200, isAlive: proc.isAlive });
  return {
    url,
    cpu: () => treeCpu(proc.pid) + treeCpu(pg.pid()),
    async stop() {
      await proc.stop();
      await pg.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** A task document shaped like nbgrid's (storage/documents.ts), finished once. */
export function taskDoc(group: string, i: number, job = 'bench'): { _id: string } & Document {
  const now = new Date().toISOString();
  const taskId = `${group}-${i}-0000-0000-000000000000`;
  const run = { task_id: taskId, attempt: 1, status: 'OK', ts: now, worker: 'w1', results: `results/bench/${group}-${i}.ipynb`, message: '' };
  return {
    _id: `tasks/${job}/${group}-${i}`,
    job,
    task_group: group,
    job_id: i,
    param: new Binary(Buffer.from(String(i))),
    main_sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    task_id: taskId,
    attempt: 1,
    state: 'SUCCESS',
    run_status: 'OK',
    require: 'default',
    cell_timeout: null,
    job_runs: [run],
    run_keys: [`${taskId}:1`],
    runs_total: 1,
    first_run: run,
    result: new Binary(Buffer.from('42')),
    worker: 'w1',
    group_seq: 1,
    created: now,
    updated: now,
    rev: 3
  };
}

/** Stores `n` finished task documents of job `prefix` (maps of 10,000) in `tasks`, and their group documents in `groups` when given. */
export async function fill(tasks: Coll, n: number, prefix = 'f', groups?: Coll): Promise<void> {
  const per = 10000;
  for (let g = 0; g * per < n; g++) {
    const group = `${prefix}${String(g).padStart(7, '0')}`;
    const count = Math.min(per, n - g * per);
    if (groups) {
      const now = new Date().toISOString();
      await groups.insertOne({
        _id: group,
        job: prefix,
        count,
        require: 'default',
        cell_timeout: null,
        main_sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        created: now,
        seq: g,
        params: new Binary(Buffer.from(JSON.stringify(Array.from({ length: count }, (_, i) => i)))),
        task_id_salt: '00',
        materialized: true
      });
    }
    const docs = Array.from({ length: count }, (_, i) => taskDoc(group, i, prefix));
    for (let i = 0; i < docs.length; i += 2000) await tasks.insertMany(docs.slice(i, i + 2000), { ordered: false });
  }
}

/** One operation on probe task `id` (task id `taskId`). */
type Op = (tasks: Coll, claims: Coll, id: string, taskId: string) => Promise<unknown>;

/** The per-task operations: as nbgrid sends them now, and reshaped to filter by `_id` alone. */
export const OPS: [string, Op][] = [
  ['get: findOne {_id}', (t, _c, id) => t.findOne({ _id: id })],
  [
    'markStarted: findOneAndUpdate {_id, task_id, state $in}',
    (t, _c, id, taskId) =>
      t.findOneAndUpdate(
        { _id: id, task_id: taskId, state: { $in: ['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS'] } },
        { $set: { state: 'SUCCESS', worker: 'w2', updated: new Date().toISOString() }, $inc: { rev: 1 } },
        { returnDocument: 'after' }
      )
  ],
  [
    'recordRun: findOneAndUpdate {_id, task_id, state $in, runs_total}',
    (t, _c, id, taskId) =>
      t.findOneAndUpdate(
        { _id: id, task_id: taskId, state: { $in: ['SUCCESS'] }, runs_total: 1 },
        { $set: { run_status: 'OK', updated: new Date().toISOString() }, $inc: { rev: 1 } },
        { returnDocument: 'after' }
      )
  ],
  [
    'reshaped: findOneAndUpdate {_id}',
    (t, _c, id) => t.findOneAndUpdate({ _id: id }, { $set: { state: 'SUCCESS', updated: new Date().toISOString() }, $inc: { rev: 1 } }, { returnDocument: 'after' })
  ],
  [
    'claim: insertOne + deleteOne {_id}',
    async (_t, c, id) => {
      await c.insertOne({ _id: id, at: new Date() });
      await c.deleteOne({ _id: id });
    }
  ]
];

interface IOpResult {
  op: string;
  ms: number;
  cpuMs: number;
}

/** Measures every operation on 100 probe tasks of group `group`, written now: the newest tasks, stored last (as a running map's are). */
async function measureOps(db: { tasks: Coll; claims: Coll }, ferret: IFerret, reps: number, group: string): Promise<IOpResult[]> {
  const probes = Array.from({ length: 100 }, (_, i) => taskDoc(group, i));
  await db.tasks.insertMany(probes);
  const out: IOpResult[] = [];
  for (const [name, op] of OPS) {
    const on = (i: number) => op(db.tasks, db.claims, probes[i % 100]._id, probes[i % 100].task_id as string);
    await on(0); // warm
    const c0 = ferret.cpu();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) await on(i);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / reps;
    out.push({ op: name, ms, cpuMs: ((ferret.cpu() - c0) * 1000) / reps });
  }
  return out;
}

/** `rounds` times: `n` concurrent `findOneAndUpdate({_id, n: 0}, {$set: {n: 1}})` on a new document; rounds where more than one matched. */
export async function atomicity(coll: Coll, n: number, rounds: number): Promise<{ doubles: number; maxMatched: number; updateOneDoubles: number }> {
  let doubles = 0;
  let maxMatched = 0;
  let updateOneDoubles = 0;
  for (let r = 0; r < rounds; r++) {
    const id = `atom-${r}-${Math.random()}`;
    await coll.insertOne({ _id: id, n: 0 });
    const res = await Promise.all(Array.from({ length: n }, () => coll.findOneAndUpdate({ _id: id, n: 0 }, { $set: { n: 1 } })));
    const matched = res.filter((d) => d !== null).length;
    if (matched > 1) doubles++;
    maxMatched = Math.max(maxMatched, matched);
    const id2 = `atomu-${r}-${Math.random()}`;
    await coll.insertOne({ _id: id2, n: 0 });
    const res2 = await Promise.all(Array.from({ length: n }, () => coll.updateOne({ _id: id2, n: 0 }, { $set: { n: 1 } })));
    if (res2.reduce((a, b) => a + b.modifiedCount, 0) > 1) updateOneDoubles++;
  }
  return { doubles, maxMatched, updateOneDoubles };
}

/** Whether `$slice` inside `$push` trims the array. */
async function sliceHonoured(db: Db): Promise<boolean> {
  const coll = db.collection<{ _id: string; a: number[] }>('atomicity');
  const id = `slice-${Math.random()}`;
  await coll.insertOne({ _id: id, a: [1, 2, 3] });
  await coll.updateOne({ _id: id }, { $push: { a: { $each: [4], $slice: -2 } } });
  const doc = await coll.findOne({ _id: id });
  return doc?.a.length === 2;
}

export async function storageOps(backends: Backend[], stored: number, reps = 200, bin = ferretdbBin): Promise<void> {
  for (const backend of backends) {
    let ferret: IFerret;
    try {
      ferret = await startFerret(backend, bin);
    } catch (err) {
      console.log(`\nFerretDB on ${backend}: not measured (${err instanceof Error ? err.message : String(err)})`);
      continue;
    }
    const client = new MongoClient(ferret.url, { maxPoolSize: 20 });
    try {
      await client.connect();
      const db = client.db('nbgrid');
      const tasks = db.collection<{ _id: string }>('tasks');
      const claims = db.collection<{ _id: string }>('task_locks');
      await tasks.createIndex({ job: 1, task_group: 1, job_id: 1 }, { name: 'job_group_jobid' });
      await tasks.createIndex({ task_id: 1 }, { name: 'task_id' });
      await tasks.createIndex({ state: 1, updated: 1 }, { name: 'state_updated' });
      const empty = await measureOps({ tasks, claims }, ferret, reps, 'probe');
      const t0 = Date.now();
      await fill(tasks, stored);
      const fillS = (Date.now() - t0) / 1000;
      const full = await measureOps({ tasks, claims }, ferret, Math.max(20, Math.floor(reps / 10)), 'probe2');
      table(
        `FerretDB v1.24.2 on ${backend}${bin === ferretdbBin ? '' : ` (${bin})`}: per-operation latency and FerretDB${backend === 'postgresql' ? ' + PostgreSQL' : ''} CPU, 100 vs ${stored + 100} task documents (stored in ${fillS.toFixed(0)} s)`,
        ['operation', 'ms (100)', `ms (${stored + 100})`, 'CPU ms (100)', `CPU ms (${stored + 100})`, 'ratio ms'],
        empty.map((e, i) => [e.op, e.ms, full[i].ms, e.cpuMs, full[i].cpuMs, `${(full[i].ms / e.ms).toFixed(1)}x`])
      );
      const atom = await atomicity(db.collection<{ _id: string }>('atomicity'), 8, 50);
      console.log(`  atomicity, 8 concurrent conditional updates x 50 rounds: findOneAndUpdate matched more than once in ${atom.doubles}/50 rounds (at most ${atom.maxMatched}); updateOne modified more than once in ${atom.updateOneDoubles}/50`);
      console.log(`  $push with $slice trims the array: ${await sliceHonoured(db)}`);
    } finally {
      await client.close().catch(() => undefined);
      await ferret.stop();
    }
  }
  console.log(`  (${fmt(os.cpus().length)} cores)`);
}

if (require.main === module) {
  const backends = (process.argv[2] ?? 'sqlite,postgresql').split(',') as Backend[];
  storageOps(backends, Number(process.argv[3] ?? 100000), 200, process.argv[4] ?? ferretdbBin).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
