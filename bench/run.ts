/**
 * `make bench`: every benchmark in one run, each on its own private stack, printing nbgrid's
 * figure, the peer's figure measured in the same run on the same machine, and the ratio.
 *
 *   node -r ./scripts/ts-hook.js bench/run.ts [--only floor,throughput,datascience,sklearn,submit,queue,storage,bulk,progress,results,cache,gc]
 *
 * Sizes: BENCH_N (tasks of benchmark 1, default 100), BENCH_N_SLOW (1 s-cell notebook, default 20),
 * BENCH_MAP (benchmark 2, default 10000), BENCH_QUEUE (benchmark 3, default 2000), BENCH_STORED
 * (task documents stored before the storage row's second map, default 100000), BENCH_BULK (tasks of
 * the bulk row's cancel/restart/reset, default 10000), BENCH_PROGRESS_S (seconds each task of the
 * progress row prints, default 20), BENCH_RESULTS (tasks of the results-table row, default 10000),
 * BENCH_CACHE (tasks of the cache row's map, 90% cached, default 1000), BENCH_GC (tasks of the
 * clean-up row's group, default 10000), BENCH_DS (tasks of the data-science and scikit-learn
 * rows, default 60).
 * Needs the compiled worker (`npm run build -w worker`): workers run worker/dist.
 */
import * as os from 'os';
import * as path from 'path';
import { bulkBench } from './bulk/run';
import { progressBench } from './progress';
import { resultsBench } from './results/run';
import { cacheBench } from './cache';
import { gcBench } from './gc/run';
import { dataScienceBench } from './data-science';
import { floorBench } from './floor';
import { storedBench } from './storage/stored';
import { REPO, run, table } from './lib';
import { submitBench } from './submit';
import { throughputBench } from './throughput';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

/** The CPU per task of nbgrid's own parts (not the kernel, its launcher or the fork server), against 50 ms. */
function overheadTarget(what: string, cpu: Record<string, number>, idle?: Record<string, number>): string[] {
  const parts = ['gateway', 'workers', 'service', 'mongodb', 'redis'];
  const sum = (c: Record<string, number>): number => parts.reduce((total, k) => total + (c[k] ?? 0), 0);
  const idleNote = idle
    ? `; of it ${(sum(idle) * 1000).toFixed(0)} ms the stack uses idle over as long (${parts.map((k) => ((idle[k] ?? 0) * 1000).toFixed(0)).join(' + ')}), so ${((sum(cpu) - sum(idle)) * 1000).toFixed(0)} ms per task`
    : '';
  return [
    `${what}, default mode: CPU per task beyond the kernel (ms)`,
    (sum(cpu) * 1000).toFixed(0),
    '<= 50 ms',
    `${parts.join(' + ')}: ${parts.map((k) => ((cpu[k] ?? 0) * 1000).toFixed(0)).join(' + ')}${idleNote}`
  ];
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--only');
  const only = i >= 0 ? process.argv[i + 1].split(',') : ['floor', 'throughput', 'datascience', 'sklearn', 'submit', 'queue', 'storage', 'bulk', 'progress', 'results', 'cache', 'gc'];
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`nbgrid benchmarks on ${os.hostname()}: ${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, ${os.type()} ${os.release()}, node ${process.version}`);
  console.log('Numbers are noisy on a shared machine; read the ratios, measured in this run.');
  const targets: string[][] = [];
  let f: Awaited<ReturnType<typeof floorBench>> | null = null;
  if (only.includes('floor')) {
    f = await floorBench(10);
    targets.push(['fresh-kernel floor on this machine (kernels/s)', f.maxKernelsPerSecond.toFixed(2), '-', 'physical limit of one fresh kernel per task (installed ipykernel spec)']);
    targets.push(['fresh batch-kernel floor on this machine (kernels/s)', f.batch.maxKernelsPerSecond.toFixed(2), '-', 'the same for the kernel nbgrid spawns in spawn mode']);
    targets.push(['forked batch-kernel floor on this machine (kernels/s)', f.forked.maxKernelsPerSecond.toFixed(2), '-', 'the same for the default fork launch mode']);
  }
  if (only.includes('throughput')) {
    const { trivial } = await throughputBench(env('BENCH_N', 100), env('BENCH_N_SLOW', 20));
    const peer = trivial.find((r) => r.side.includes('2 parallel'))!;
    for (const r of trivial.filter((m) => m.side.startsWith('nbgrid'))) {
      const target = r.side.includes('default') ? '>= 4x' : '-';
      targets.push([`trivial notebook vs papermill x2: ${r.side}`, `${(peer.wall / r.wall).toFixed(2)}x`, target, `${(r.n / r.wall).toFixed(2)} vs ${(peer.n / peer.wall).toFixed(2)} tasks/s`]);
    }
    const fork = trivial.find((r) => r.side.includes('default'));
    if (fork?.cpu) targets.push(overheadTarget('trivial notebook', fork.cpu, fork.idle));
    if (f) {
      // What the floor allows at all: every core starting kernels, no other per-task work.
      const peerRate = peer.n / peer.wall;
      const ceiling = (what: string, kernelsPerSecond: number) =>
        targets.push([`ceiling vs papermill x2: ${what}`, `${(kernelsPerSecond / peerRate).toFixed(2)}x`, '-', `floor ${kernelsPerSecond.toFixed(2)} kernels/s, with no other work per task`]);
      ceiling('spawned batch kernels (spawn mode)', f.batch.maxKernelsPerSecond);
      ceiling('forked batch kernels (default fork mode)', f.forked.maxKernelsPerSecond);
    }
  }
  for (const which of ['datascience', 'sklearn'] as const) {
    if (!only.includes(which)) continue;
    const d = await dataScienceBench(which, env('BENCH_DS', 60));
    const peer = d.rows.find((r) => r.side.includes('2 parallel'))!;
    for (const r of d.rows.filter((m) => m.side.startsWith('nbgrid'))) {
      const target = which === 'datascience' ? (r.side.includes('preload') ? '>= 5x' : r.side.includes('default') ? '>= 2x' : '-') : '-';
      targets.push([`${d.title} vs papermill x2: ${r.side}`, `${(peer.wall / r.wall).toFixed(2)}x`, target, `${(r.n / r.wall).toFixed(2)} vs ${(peer.n / peer.wall).toFixed(2)} tasks/s`]);
    }
    const fork = d.rows.find((r) => r.side.includes('default'));
    if (fork?.cpu) targets.push(overheadTarget(d.title, fork.cpu, fork.idle));
  }
  if (only.includes('submit')) {
    const s = await submitBench(env('BENCH_MAP', 10000));
    targets.push(['map(range(10000)) accepted (s)', s.submit.toFixed(2), '<= 1 s', '']);
    targets.push(['status of that group (ms)', (s.status * 1000).toFixed(0), '<= 100 ms', '']);
    targets.push(['notebook stored once: bytes vs 10000 copies', `${s.copies.toFixed(0)}x less`, 'once', `${(s.stored / 1e6).toFixed(1)} MB in MongoDB`]);
  }
  if (only.includes('queue')) {
    console.log('\nBenchmark 3, the queue alone (bench/queue/run.ts)');
    const out = await run(process.execPath, ['-r', path.join(REPO, 'scripts', 'ts-hook.js'), path.join(REPO, 'bench', 'queue', 'run.ts'), String(env('BENCH_QUEUE', 2000))]);
    process.stdout.write(out.split('\n').map((l) => (l ? `  ${l}` : l)).join('\n'));
    const ratio = /ratio nbgrid \/ python: ([\d.]+)x/.exec(out)?.[1];
    if (ratio) targets.push(['queue throughput vs Python Celery, same Redis', `${ratio}x`, '>= 1x', '']);
  }
  if (only.includes('storage')) {
    const stored = env('BENCH_STORED', 100000);
    const s = await storedBench(env('BENCH_N', 100), stored);
    targets.push([
      `tasks/s with ${stored} task documents stored vs a fresh stack`,
      `${s.ratio.toFixed(2)}x`,
      '>= 0.9x',
      `${s.full.tasksPerSecond.toFixed(2)} vs ${s.fresh.tasksPerSecond.toFixed(2)} tasks/s; MongoDB CPU ${(s.full.mongoCpuPerTask * 1000).toFixed(1)} vs ${(s.fresh.mongoCpuPerTask * 1000).toFixed(1)} ms/task`
    ]);
  }
  if (only.includes('bulk')) {
    const n = env('BENCH_BULK', 10000);
    const b = await bulkBench(n);
    const cpu = (x: { mongodb: number; service: number; redis: number }) => `CPU ${(x.mongodb + x.service + x.redis).toFixed(1)} s (MongoDB ${x.mongodb.toFixed(1)})`;
    const load = `load ${b.load.toFixed(1)}`;
    targets.push([`cancel of ${n} queued tasks (s)`, b.cancel.toFixed(2), '<= 10 s', `end to end through the API; ${cpu(b.cpu.cancel)}; ${load}`]);
    targets.push([`restart of those ${n} tasks (s)`, b.restart.toFixed(2), '<= 10 s', `every task, after the cancel; ${cpu(b.cpu.restart)}`]);
    targets.push([`restart with reset of ${n} tasks (s)`, b.reset.toFixed(2), '<= 10 s', cpu(b.cpu.reset)]);
  }
  if (only.includes('progress')) {
    const p = await progressBench(env('BENCH_PROGRESS_S', 20));
    targets.push(['progress latency, print in the kernel -> SSE event, p50 / p95 (ms)', `${p.p50.toFixed(0)} / ${p.p95.toFixed(0)}`, '-', `2 workers streaming, ${p.events} events (at most 4/s per task)`]);
    targets.push(['API service CPU per 1,000 progress events (s)', p.serviceCpuPer1000.toFixed(3), '-', 'relayed to one SSE client']);
  }
  if (only.includes('results')) {
    const r = await resultsBench(env('BENCH_RESULTS', 10000));
    targets.push([`results(as_frame=True) of ${r.n} tasks, first call (s)`, r.cold.toFixed(2), '<= 1 s', `again ${r.frame.toFixed(2)} s; rebuilt from MongoDB ${r.rebuild.toFixed(2)} s; scrapbook over ${r.peerRows} papermill notebooks: ${r.peer.toFixed(2)} s`]);
  }
  if (only.includes('cache')) {
    const n = env('BENCH_CACHE', 1000);
    const cached = Math.round(n * 0.9);
    const c = await cacheBench(n, cached);
    targets.push([`map of ${n}, no cache: accepted (s)`, c.plain.toFixed(2), '<= 1 s', 'beside the cached map below']);
    targets.push([`map of ${n} with ${cached} cached: accepted, ${cached} final (s)`, c.final.toFixed(2), '<= 1 s', `answered in ${c.accepted.toFixed(2)} s; one cache lookup per map (+ one check of its hits); results() with the ${cached} values at ${c.results.toFixed(2)} s`]);
  }
  if (only.includes('gc')) {
    const n = env('BENCH_GC', 10000);
    const g = await gcBench(n);
    targets.push([`stored bytes per task of a ${n}-task group, before -> after gc`, `${g.perTaskBefore.toFixed(0)} -> ${g.perTaskAfter.toFixed(1)}`, '-', 'queued then cancelled, no result notebooks']);
    targets.push([`gc of that ${n}-task group (s)`, g.seconds.toFixed(2), '-', 'through the API, local default MongoDB']);
  }
  table('Targets (ratios measured in this run)', ['measure', 'nbgrid', 'target', 'detail'], targets);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
