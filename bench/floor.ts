/**
 * Benchmark 5, the floor: CPU seconds (and wall seconds until `kernel_info` answers) for one fresh
 * ipykernel to start on this machine, started by jupyter_client as the Kernel Gateway starts it:
 * the installed kernelspec (the kernel papermill runs), and nbgrid's batch kernel (ipykernel
 * without debugger support or history database), which the gateway spawns in spawn mode.
 * With C cores, no map that starts a fresh kernel per task can exceed C / cpu tasks per second.
 * Next to them, the same for a batch kernel of the fork launch mode, the default (a new process forked
 * from a server that imported the kernel stack once): launcher, forked kernel and the server's forking.
 *
 *   node -r ./scripts/ts-hook.js bench/floor.ts [N]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PYTHON, run, table } from './lib';

export interface IKernelCost {
  cpuPerKernel: number;
  wallToReady: number;
  /** Kernels per second all cores could start, at most. */
  maxKernelsPerSecond: number;
}

export interface IFloor extends IKernelCost {
  /** nbgrid's batch kernel, spawned (spawn launch mode); the top level is the installed ipykernel spec. */
  batch: IKernelCost;
  /** A forked batch kernel (fork launch mode, the default); `serverStartCpu` is the fork server's one-time import. */
  forked: IKernelCost & { launcherPerKernel: number; serverStartCpu: number };
}

interface IPeerResult {
  cpu_per_kernel: number;
  wall_to_ready: number;
  launcher_per_kernel: number | null;
  server_start_cpu?: number;
}

async function measure(n: number, extra: string[] = []): Promise<IPeerResult> {
  const out = await run(PYTHON, [path.join(__dirname, 'peers', 'kernel_floor.py'), String(n), ...extra]);
  return JSON.parse(out.trim().split('\n').pop()!) as IPeerResult;
}

export async function floorBench(n = 10): Promise<IFloor> {
  const cores = os.cpus().length;
  const fresh = await measure(n);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-bench-fork-'));
  let forked: IPeerResult;
  let batch: IPeerResult;
  try {
    batch = await measure(n, ['--batch', path.join(work, 'batch-spec')]);
    forked = await measure(n, ['--fork-server', work]);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const floor: IFloor = {
    cpuPerKernel: fresh.cpu_per_kernel,
    wallToReady: fresh.wall_to_ready,
    maxKernelsPerSecond: cores / fresh.cpu_per_kernel,
    batch: { cpuPerKernel: batch.cpu_per_kernel, wallToReady: batch.wall_to_ready, maxKernelsPerSecond: cores / batch.cpu_per_kernel },
    forked: {
      cpuPerKernel: forked.cpu_per_kernel,
      wallToReady: forked.wall_to_ready,
      maxKernelsPerSecond: cores / forked.cpu_per_kernel,
      launcherPerKernel: forked.launcher_per_kernel ?? 0,
      serverStartCpu: forked.server_start_cpu ?? 0
    }
  };
  const columns = ['measure', 'fresh ipykernel (installed spec, papermill\'s)', 'fresh batch kernel (spawn mode)', 'forked batch kernel (fork mode, default)'];
  table(`Benchmark 5, the floor: one kernel (CPU: mean of ${n}; wall: median), ${cores} cores`, columns, [
    ['CPU seconds to start, answer kernel_info, shut down', floor.cpuPerKernel, floor.batch.cpuPerKernel, floor.forked.cpuPerKernel],
    ['  of which the launcher process', '-', '-', floor.forked.launcherPerKernel],
    ['wall seconds until kernel_info answers', floor.wallToReady, floor.batch.wallToReady, floor.forked.wallToReady],
    [`kernels/s on ${cores} cores at most (cores / CPU s)`, floor.maxKernelsPerSecond, floor.batch.maxKernelsPerSecond, floor.forked.maxKernelsPerSecond],
    ['one-time CPU seconds of the fork server (imports)', '-', '-', floor.forked.serverStartCpu]
  ]);
  return floor;
}

if (require.main === module) {
  floorBench(Number(process.argv[2] ?? 10)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
