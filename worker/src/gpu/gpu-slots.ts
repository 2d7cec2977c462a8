/**
 * GPU slots of a worker node: the GPUs it has (from `nvidia-smi -L`, or given as `--gpus 0,1,2,3`)
 * cut into groups of `--gpus-per-task`, one slot per group. A task's kernel sees only its slot's
 * GPUs through `CUDA_VISIBLE_DEVICES` and `NVIDIA_VISIBLE_DEVICES` (and `NBGRID_GPUS`, which
 * nbgrid's Python client reads into `job['gpus']`).
 */
import { execFile } from 'child_process';

/** One slot: its id (`gpu0`, `gpu2-3`) and the GPU indices (or UUIDs) it holds. */
export interface IGpuSlot {
  id: string;
  gpus: string[];
  env: Record<string, string>;
  /** Run by each kernel of the slot once it started: see {@link GPU_JOB_HOOK}. */
  startupCode: string;
}

/**
 * Puts the slot's GPUs in the task's `job` dict as `job['gpus']` (a list of ints, or of UUID
 * strings): an IPython `post_run_cell` hook adds them to `job` once a cell has defined it (the
 * injected cell does), without leaving a name in the notebook's namespace.
 */
export const GPU_JOB_HOOK = [
  '(lambda ip, os: ip.events.register("post_run_cell", lambda result=None: (',
  '    lambda job: job.setdefault("gpus", [int(g) if g.isdigit() else g for g in os.environ.get("NBGRID_GPUS", "").split(",") if g])',
  '    if isinstance(job, dict) else None)(ip.user_ns.get("job"))))(get_ipython(), __import__("os"))'
].join('\n');

/** Environment names a kernel of a GPU slot gets: the gateway must let these through. */
export const GPU_ENV_NAMES = ['CUDA_VISIBLE_DEVICES', 'NVIDIA_VISIBLE_DEVICES', 'NBGRID_GPUS'] as const;

/** GPU indices listed by `nvidia-smi -L` (`GPU 0: <name> (UUID: ...)` lines). */
export function parseNvidiaSmiList(stdout: string): string[] {
  const out: string[] = [];
  for (const m of stdout.matchAll(/^GPU (\d+):/gm)) out.push(m[1]);
  return out;
}

/** The GPUs `nvidia-smi -L` lists on this machine; none when it is missing or fails. */
export function detectGpus(timeoutMs = 10000): Promise<string[]> {
  return new Promise((resolve) => {
    // The env given explicitly: PATH as this module's process sees it (a test's fake nvidia-smi too).
    execFile('nvidia-smi', ['-L'], { timeout: timeoutMs, env: process.env }, (err, stdout) => resolve(err ? [] : parseNvidiaSmiList(String(stdout))));
  });
}

/**
 * `--gpus 0,1,2,3` as a list.
 * @throws RangeError naming the flag when an entry is empty or repeated
 */
export function parseGpuList(text: string): string[] {
  const gpus = text.split(',').map((g) => g.trim());
  if (gpus.some((g) => g === '' || !/^[A-Za-z0-9-]+$/.test(g))) {
    throw new RangeError(`--gpus must be a comma-separated list of GPU indices or UUIDs, e.g. 0,1,2,3; got '${text}'`);
  }
  if (new Set(gpus).size !== gpus.length) throw new RangeError(`--gpus lists a GPU twice: '${text}'`);
  return gpus;
}

/**
 * Slots of `perTask` GPUs each, in the order given; GPUs left over (fewer than `perTask`) get no slot.
 * @throws RangeError when `perTask` is not a positive integer or exceeds the GPUs
 */
export function gpuSlots(gpus: string[], perTask = 1): IGpuSlot[] {
  if (!Number.isInteger(perTask) || perTask < 1) throw new RangeError(`--gpus-per-task must be a positive integer, got ${perTask}`);
  if (gpus.length > 0 && perTask > gpus.length) throw new RangeError(`--gpus-per-task ${perTask} is more than the ${gpus.length} GPUs of this worker`);
  const slots: IGpuSlot[] = [];
  for (let i = 0; i + perTask <= gpus.length; i += perTask) {
    const group = gpus.slice(i, i + perTask);
    const list = group.join(',');
    slots.push({
      id: `gpu${group.length === 1 ? group[0] : `${group[0]}-${group[group.length - 1]}`}`,
      gpus: group,
      env: { CUDA_VISIBLE_DEVICES: list, NVIDIA_VISIBLE_DEVICES: list, NBGRID_GPUS: list },
      startupCode: GPU_JOB_HOOK
    });
  }
  return slots;
}
