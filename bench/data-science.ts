/**
 * Benchmarks 8 and 9, what users map: the data-science notebook (numpy + pandas, a 200,000-row
 * DataFrame, a groupby, a rolling mean, a matplotlib figure kept as a PNG) and the scikit-learn
 * notebook (a small random forest on a generated data set), both in bench/notebooks/, mapped over
 * range(N) on 2 workers (concurrency 1 each) against papermill from PyPI on the same notebook and
 * kernel (a sequential loop, and 2 parallel processes).
 *
 * nbgrid runs in its default mode (fork), in spawn mode, and in fork mode with the notebook's
 * libraries preloaded into the fork server (`nbgrid up --preload`). For each side: tasks/s, and
 * CPU seconds per task by part. The kernel's own parts come from the notebook itself (it prints
 * `process_time()` of its kernel process at its first cell = the kernel's start, after its imports,
 * after its cells); nbgrid's parts from /proc of each process of the stack before and after the
 * map (bench/lib.ts `stackCpu`): "kernel other" is what the kernel processes used besides start,
 * imports and cells (messages, shutdown). The ceiling of a side is cores / (imports + cells): the
 * rate if nothing but the notebook's own work were done. Before the map the stack idles 5 s: what
 * its parts use idle (heartbeats, the reconciler), scaled to the map's wall time per task, is
 * printed beside nbgrid's own CPU per task.
 *
 *   node -r ./scripts/ts-hook.js bench/data-science.ts [datascience|sklearn] [N]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { KernelLaunchMode } from '../worker/src/stack/gateway';
import { Api, PYTHON, benchStack, run, since, stackCpu, table } from './lib';

export type DataScienceNotebook = 'datascience' | 'sklearn';

/** The kernel's CPU seconds by part, as the notebook measured them (means over the tasks). */
interface INotebookCpu {
  start: number;
  imports: number;
  cells: number;
}

export interface IDataScienceRow {
  side: string;
  n: number;
  wall: number;
  /** CPU seconds per task: the notebook's parts, and (nbgrid) the stack's parts from /proc. */
  notebook: INotebookCpu | null;
  cpu: Record<string, number> | null;
  /**
   * (nbgrid) CPU seconds per task the stack's parts would have used idle for as long as the map
   * took: heartbeats, the reconciler, polls — time, not tasks, drives them.
   */
  idle?: Record<string, number>;
}

const IDLE_SECONDS = 5;

const NOTEBOOKS: Record<DataScienceNotebook, { file: string; title: string; preload: string[] }> = {
  datascience: { file: 'data-science.ipynb', title: 'data-science notebook', preload: ['numpy', 'pandas', 'matplotlib', 'matplotlib.pyplot'] },
  sklearn: {
    file: 'sklearn.ipynb',
    title: 'scikit-learn notebook',
    preload: ['numpy', 'sklearn.datasets', 'sklearn.ensemble', 'sklearn.model_selection']
  }
};

async function papermill(file: string, n: number, processes: number): Promise<IDataScienceRow> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-bench-pm-'));
  try {
    const text = await run(PYTHON, [path.join(__dirname, 'peers', 'papermill_map.py'), file, String(n), String(processes), out]);
    const res = JSON.parse(text.trim().split('\n').pop()!) as { wall: number; cpu: number; notebook_cpu: INotebookCpu | null };
    return {
      side: processes === 1 ? 'papermill 2.7, sequential loop' : `papermill 2.7, ${processes} parallel processes`,
      n,
      wall: res.wall,
      notebook: res.notebook_cpu,
      cpu: { total: res.cpu / n }
    };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

async function nbgrid(side: string, nb: unknown, n: number, kernelLaunch: KernelLaunchMode, preload: string[]): Promise<IDataScienceRow> {
  const stack = await benchStack(2, {}, kernelLaunch, preload);
  try {
    const api = Api.of(stack);
    await api.put('bench', nb);
    // warm-up: both workers' pools full, code paths loaded, OS caches of the libraries warm
    const warm = await api.map('bench', [0, 1]);
    await api.waitDone('bench', warm.task_group, 200);
    await new Promise((r) => setTimeout(r, 1500));
    const idle0 = stackCpu(stack);
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const cpu0 = stackCpu(stack);
    const t0 = process.hrtime.bigint();
    const group = await api.map('bench', Array.from({ length: n }, (_, i) => i));
    await api.waitDone('bench', group.task_group, 500);
    const wall = since(t0);
    await new Promise((r) => setTimeout(r, 2000)); // kernels still shutting down are reaped
    const cpu1 = stackCpu(stack);
    const cpu: Record<string, number> = {};
    for (const k of Object.keys(cpu1)) cpu[k] = (cpu1[k] - cpu0[k]) / n;
    cpu.total = Object.values(cpu).reduce((a, b) => a + b, 0);
    const idle: Record<string, number> = {};
    for (const k of Object.keys(cpu0)) idle[k] = ((cpu0[k] - idle0[k]) / IDLE_SECONDS) * (wall / n);
    const { results } = await api.request<{ results: { cpu: INotebookCpu }[] }>('GET', `/api/jobs/bench/results?task_group=${group.task_group}`);
    return { side, n, wall, notebook: mean(results.map((r) => r.cpu)), cpu, idle };
  } finally {
    await stack.stop();
  }
}

function mean(parts: INotebookCpu[]): INotebookCpu | null {
  if (!parts.length) return null;
  const sum = (k: keyof INotebookCpu): number => parts.reduce((a, p) => a + p[k], 0) / parts.length;
  return { start: sum('start'), imports: sum('imports'), cells: sum('cells') };
}

/** Runs one notebook's suite; prints its tables; returns the rows (papermill x2 is the peer). */
export async function dataScienceBench(which: DataScienceNotebook, n = 60): Promise<{ title: string; rows: IDataScienceRow[] }> {
  const spec = NOTEBOOKS[which];
  const file = path.join(__dirname, 'notebooks', spec.file);
  const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  const rows: IDataScienceRow[] = [];
  rows.push(await papermill(file, n, 1));
  rows.push(await papermill(file, n, 2));
  rows.push(await nbgrid('nbgrid, default (fork)', nb, n, 'fork', []));
  rows.push(await nbgrid('nbgrid, spawn', nb, n, 'spawn', []));
  rows.push(await nbgrid(`nbgrid, fork + preload ${spec.preload.join(',')}`, nb, n, 'fork', spec.preload));
  const cores = os.cpus().length;
  const peer = rows[1];
  table(
    `Benchmark ${which === 'datascience' ? 8 : 9}, ${spec.title} (bench/notebooks/${spec.file}): map over range(${n}), 2 workers x concurrency 1 / 2 processes, ${cores} cores`,
    ['side', 'wall s', 'tasks/s', 'vs papermill x2', 'CPU s/task', 'ceiling tasks/s', 'ceiling vs papermill x2'],
    rows.map((r) => {
      const work = r.notebook ? r.notebook.imports + r.notebook.cells : NaN;
      return [r.side, r.wall, r.n / r.wall, `${(peer.wall / r.wall).toFixed(2)}x`, r.cpu?.total ?? '-', cores / work, `${(cores / work / (peer.n / peer.wall)).toFixed(2)}x`];
    })
  );
  const parts = ['kernel start', 'imports', 'cells', 'kernel other', 'launchers', 'fork server', 'gateway', 'workers', 'service', 'mongodb', 'redis', 'other', 'total'];
  const idleRows = rows.filter((r) => r.idle).map((r) => {
    const stackParts = ['launchers', 'fork server', 'gateway', 'workers', 'service', 'mongodb', 'redis'];
    return [`  ${r.side}: the same stack idle for as long`, '-', '-', '-', '-', ...stackParts.map((k) => (k in r.idle! ? r.idle![k] : '-')), '-', '-'];
  });
  table(
    `  CPU seconds per task by part (kernel start/imports/cells: measured in the notebook; the rest: /proc of each process; papermill's "other" is papermill, nbclient and its processes)`,
    ['side', ...parts],
    rows.map((r) => {
      const nbCpu = r.notebook ?? { start: NaN, imports: NaN, cells: NaN };
      const c = r.cpu ?? {};
      const inNotebook = nbCpu.start + nbCpu.imports + nbCpu.cells;
      const stackParts = ['launchers', 'fork server', 'gateway', 'workers', 'service', 'mongodb', 'redis'];
      const isNbgrid = r.side.startsWith('nbgrid');
      return [
        r.side,
        nbCpu.start,
        nbCpu.imports,
        nbCpu.cells,
        isNbgrid ? (c.kernels ?? 0) - inNotebook : '-',
        ...stackParts.map((k) => (isNbgrid && k in c ? c[k] : '-')),
        isNbgrid ? '-' : (c.total ?? NaN) - inNotebook,
        c.total ?? '-'
      ];
    }).concat(idleRows)
  );
  return { title: spec.title, rows };
}

if (require.main === module) {
  const which = (process.argv[2] ?? 'datascience') as DataScienceNotebook;
  dataScienceBench(which, Number(process.argv[3] ?? 60)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
