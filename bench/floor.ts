/**
 * Benchmark 5, the floor: CPU seconds (and wall seconds until `kernel_info` answers) for one fresh
 * ipykernel to start on this machine, started by jupyter_client as the Kernel Gateway starts it.
 * With C cores, no map that starts a fresh kernel per task can exceed C / cpu tasks per second.
 *
 *   node -r ./scripts/ts-hook.js bench/floor.ts [N]
 */
import * as os from 'os';
import * as path from 'path';
import { PYTHON, run, table } from './lib';

export interface IFloor {
  cpuPerKernel: number;
  wallToReady: number;
  /** Fresh kernels per second all cores could start, at most. */
  maxKernelsPerSecond: number;
}

export async function floorBench(n = 10): Promise<IFloor> {
  const out = await run(PYTHON, [path.join(__dirname, 'peers', 'kernel_floor.py'), String(n)]);
  const res = JSON.parse(out.trim().split('\n').pop()!) as { cpu_per_kernel: number; wall_to_ready: number };
  const cores = os.cpus().length;
  const floor = { cpuPerKernel: res.cpu_per_kernel, wallToReady: res.wall_to_ready, maxKernelsPerSecond: cores / res.cpu_per_kernel };
  table(`Benchmark 5, the floor: one fresh ipykernel (CPU: mean of ${n}; wall: median), ${cores} cores`, ['measure', 'value'], [
    ['CPU seconds to start, answer kernel_info, shut down', floor.cpuPerKernel],
    ['wall seconds until kernel_info answers', floor.wallToReady],
    [`fresh kernels/s on ${cores} cores at most (cores / CPU s)`, floor.maxKernelsPerSecond]
  ]);
  return floor;
}

if (require.main === module) {
  floorBench(Number(process.argv[2] ?? 10)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
