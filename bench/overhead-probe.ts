/**
 * By hand (not in `make bench`): where nbgrid's own CPU per task goes, for the default mode (fork +
 * warm pool) on the trivial notebook. One map over range(N) on a 2-worker stack, as
 * `throughput.ts` runs it, printing per task: CPU by part (from /proc), the same stack's CPU over
 * as long idle (heartbeats, the reconciler) measured just before, the Redis commands by name
 * (`INFO commandstats`), and the status polls the harness made.
 *
 *   node -r ./scripts/ts-hook.js bench/overhead-probe.ts [N] [poll ms]
 *
 * `OVERHEAD_NOTEBOOK=bench/notebooks/data-science.ipynb` maps that notebook instead of the trivial one
 * (`OVERHEAD_PRELOAD=numpy,pandas` preloads modules into the fork server, as `nbgrid up --preload`).
 * `OVERHEAD_PYSPY=/path/to/py-spy` also records the gateway with py-spy into `OVERHEAD_OUT`
 * (default /tmp/nbgrid-overhead); `OVERHEAD_CPUPROF=<script>` loads that script into the workers and
 * the service (`NODE_OPTIONS=--require`): `$PWD/bench/cpuprof-require.js` writes their V8 CPU
 * profiles into `OVERHEAD_OUT` when the stack stops.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import { Redis } from 'ioredis';
import { Api, benchStack, since, sleep, stackCpu, trivialNotebook } from './lib';

const parts = ['gateway', 'workers', 'service', 'mongodb', 'redis'];

async function commandStats(redis: Redis): Promise<Record<string, number>> {
  const text = await redis.info('commandstats');
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 40);
  const pollMs = Number(process.argv[3] ?? 500);
  const outDir = process.env.OVERHEAD_OUT ?? '/tmp/nbgrid-overhead';
  fs.mkdirSync(outDir, { recursive: true });
  // The profiler script writes into the probe's outDir, whatever its own default.
  const env: Record<string, string> = process.env.OVERHEAD_CPUPROF ? { NODE_OPTIONS: `--require ${process.env.OVERHEAD_CPUPROF}`, OVERHEAD_OUT: outDir } : {};
  const preload = process.env.OVERHEAD_PRELOAD ? process.env.OVERHEAD_PRELOAD.split(',') : [];
  const stack = await benchStack(2, env, 'fork', preload);
  const redis = new Redis(stack.info.redis_url);
  try {
    const api = Api.of(stack);
    const notebookFile = process.env.OVERHEAD_NOTEBOOK;
    await api.put('bench', notebookFile ? (JSON.parse(fs.readFileSync(notebookFile, 'utf8')) as unknown) : trivialNotebook(0));
    const warm = await api.map('bench', [0, 1]);
    await api.waitDone('bench', warm.task_group, 50);
    await sleep(1500);
    // The stack idle, for as long as a map of this size takes at about 2 tasks/s.
    const idleSeconds = Math.max(5, Math.min(30, n / 2));
    const i0 = stackCpu(stack);
    const ti = process.hrtime.bigint();
    await sleep(idleSeconds * 1000);
    const i1 = stackCpu(stack);
    const idleWall = since(ti);
    let spy: ReturnType<typeof spawn> | null = null;
    if (process.env.OVERHEAD_PYSPY) {
      spy = spawn(process.env.OVERHEAD_PYSPY, ['record', '-p', String(stack.info.pids.kernelgateway), '-o', `${outDir}/gateway.txt`, '-f', 'raw', '-r', '200', '--nonblocking'], { stdio: 'inherit' });
      await sleep(1000);
    }
    const r0 = await commandStats(redis);
    const cpu0 = stackCpu(stack);
    const t0 = process.hrtime.bigint();
    const group = await api.map('bench', Array.from({ length: n }, (_, i) => i));
    let polls = 0;
    const status = api.status.bind(api);
    api.status = (...args) => ((polls += 1), status(...args));
    await api.waitDone('bench', group.task_group, pollMs);
    const wall = since(t0);
    await sleep(2000);
    const cpu1 = stackCpu(stack);
    const r1 = await commandStats(redis);
    spy?.kill('SIGINT');
    const per = (a: Record<string, number>, b: Record<string, number>, k: string, d: number) => ((b[k] - a[k]) / d) * 1000;
    console.log(`${n} tasks in ${wall.toFixed(1)} s (${(n / wall).toFixed(2)} tasks/s), ${polls} status polls; load ${(await import('os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const idleOver = (k: string) => ((i1[k] - i0[k]) / idleWall) * (wall + 2) / n * 1000;
    let total = 0;
    let idleTotal = 0;
    for (const k of parts) {
      const v = per(cpu0, cpu1, k, n);
      total += v;
      idleTotal += idleOver(k);
      console.log(`  ${k.padEnd(8)} ${v.toFixed(1).padStart(6)} ms/task   (idle stack over as long: ${idleOver(k).toFixed(1)})`);
    }
    console.log(`  total    ${total.toFixed(1).padStart(6)} ms/task   (idle: ${idleTotal.toFixed(1)}); kernels ${per(cpu0, cpu1, 'kernels', n).toFixed(0)}, launchers ${per(cpu0, cpu1, 'launchers', n).toFixed(0)}, fork server ${per(cpu0, cpu1, 'fork server', n).toFixed(0)}`);
    const cmds = Object.keys(r1).map((k) => [k, (r1[k] - (r0[k] ?? 0)) / n] as const).filter(([k, v]) => v > 0 && k !== 'info').sort((a, b) => b[1] - a[1]);
    console.log(`  Redis commands per task: ${cmds.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
  } finally {
    redis.disconnect();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
