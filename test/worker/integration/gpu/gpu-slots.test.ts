/**
 * One GPU per task, without GPUs: a fake `nvidia-smi` on PATH lists N GPUs, and real kernels on a
 * real Kernel Gateway (spawn and fork launch) report the `CUDA_VISIBLE_DEVICES` they got. Every
 * kernel running at once sees a different GPU; a slot comes back when its task ends, its kernel
 * dies or the task is cancelled; a worker without GPUs is unchanged.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { POOL_AHEAD, resolveWorkerSettings } from '../../../../worker/src/compose';
import { loadConfig } from '../../../../worker/src/config';
import { executeNotebook, SlotKernelPool, type INotebook } from '../../../../worker/src/executor';
import { detectGpus, gpuSlots } from '../../../../worker/src/gpu/gpu-slots';
import { startGateway, type KernelLaunchMode } from '../../../../worker/src/stack';

jest.setTimeout(300000);

const scratch = mkdtempSync(join(tmpdir(), 'nbgrid-gpu-'));
const fakeBin = join(scratch, 'bin');
const savedPath = process.env.PATH;

/** Puts an `nvidia-smi` on PATH whose `-L` lists `n` GPUs, as the real one prints them. */
function fakeNvidiaSmi(n: number): void {
  mkdirSync(fakeBin, { recursive: true });
  const lines = Array.from({ length: n }, (_, i) => `GPU ${i}: NVIDIA Fake A100 (UUID: GPU-0000000${i}-fake-fake-fake-00000000000${i})`).join('\\n');
  writeFileSync(join(fakeBin, 'nvidia-smi'), `#!/bin/sh\n[ "$1" = "-L" ] || exit 2\nprintf '${lines}\\n'\n`);
  chmodSync(join(fakeBin, 'nvidia-smi'), 0o755);
  process.env.PATH = `${fakeBin}:${savedPath}`;
}

afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(scratch, { recursive: true, force: true });
});

const code = (source: string) => ({ cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null });
const nb = (...sources: string[]): INotebook => ({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
  cells: sources.map(code)
});

/**
 * Reports its GPU environment once `n` kernels have checked in to `dir` (so they run at the same
 * time, whatever the machine's speed).
 */
const together = (dir: string, n: number): INotebook =>
  nb(
    "job = {'param': 0}",
    `import os, time\nopen(os.path.join(${JSON.stringify(dir)}, str(os.getpid())), 'w').close()\n` +
      `while len(os.listdir(${JSON.stringify(dir)})) < ${n}: time.sleep(0.05)`,
    "job['result'] = {k: os.environ.get(k) for k in ('CUDA_VISIBLE_DEVICES', 'NVIDIA_VISIBLE_DEVICES', 'NBGRID_GPUS')}\n" +
      "job['result']['gpus'] = job.get('gpus')\njob['result']['hook_names'] = [n for n in globals() if 'nbgrid' in n]"
  );

describe('GPU detection and settings', () => {
  it('reads the GPUs nvidia-smi -L lists; a worker gets one slot per GPU (or group) and that concurrency', async () => {
    fakeNvidiaSmi(4);
    const gpus = await detectGpus();
    expect(gpus).toEqual(['0', '1', '2', '3']);
    const config = loadConfig({});
    expect(resolveWorkerSettings(config, { gpus }).concurrency).toBe(4);
    expect(resolveWorkerSettings(config, { gpus }).gpuSlots?.map((s) => s.env.CUDA_VISIBLE_DEVICES)).toEqual(['0', '1', '2', '3']);
    const pairs = resolveWorkerSettings(config, { gpus, gpusPerTask: 2 });
    expect(pairs.concurrency).toBe(2);
    expect(pairs.gpuSlots?.map((s) => [s.id, s.env.CUDA_VISIBLE_DEVICES, s.env.NVIDIA_VISIBLE_DEVICES])).toEqual([['gpu0-1', '0,1', '0,1'], ['gpu2-3', '2,3', '2,3']]);
    expect(() => resolveWorkerSettings(config, { gpus, gpusPerTask: 5 })).toThrow(/--gpus-per-task 5 is more than the 4 GPUs/);
  });

  it('a worker without GPUs is unchanged: no slot, concurrency 1, the kernel pool as before', async () => {
    // No nvidia-smi at all (an empty PATH): no GPU.
    process.env.PATH = mkdtempSync(join(scratch, 'empty-'));
    try {
      expect(await detectGpus()).toEqual([]);
    } finally {
      process.env.PATH = savedPath;
    }
    // Settings exactly as without GPU slots: the pool runs POOL_AHEAD kernels ahead of the one task.
    expect(resolveWorkerSettings(loadConfig({}), { gpus: [], hostname: 'w@h' })).toEqual(
      { labels: ['default'], concurrency: 1, hostname: 'w@h', poolSize: 1 + POOL_AHEAD, prefetch: 1, kernelReuse: 'off' });
  });
});

describe.each<KernelLaunchMode>(['spawn', 'fork'])('kernels bound to GPU slots (%s launch)', (mode) => {
  let gateway: { url: string; token: string; stop(): Promise<void> };
  let dir: string;
  let pool: SlotKernelPool;

  beforeAll(async () => {
    dir = mkdtempSync(join(scratch, `gw-${mode}-`));
    gateway = await startGateway({ dir, kernelLaunch: mode });
    pool = new SlotKernelPool({ gatewayUrl: gateway.url, token: gateway.token, slots: gpuSlots(['0', '1', '2']) }).start();
  }, 180000);

  afterAll(async () => {
    await pool?.close();
    await gateway?.stop();
  });

  const run = (notebook: INotebook, signal?: AbortSignal) =>
    executeNotebook(notebook, { gatewayUrl: gateway.url, token: gateway.token, kernelPool: pool, signal });

  it('every kernel running at once sees a different GPU, and only it', async () => {
    const meet = mkdtempSync(join(scratch, 'meet-'));
    const results = await Promise.all([0, 1, 2].map(() => run(together(meet, 3))));
    for (const r of results) expect(r.status).toBe('ok');
    const seen = results.map((r) => r.result as Record<string, unknown>);
    expect(seen.map((s) => s.CUDA_VISIBLE_DEVICES).sort()).toEqual(['0', '1', '2']);
    for (const s of seen) {
      expect(s.NVIDIA_VISIBLE_DEVICES).toBe(s.CUDA_VISIBLE_DEVICES);
      // The notebook sees its GPU in job as well, and nothing else of the hook.
      expect(s.gpus).toEqual([Number(s.CUDA_VISIBLE_DEVICES)]);
      expect(s.hook_names).toEqual([]);
    }
    expect(readdirSync(meet)).toHaveLength(3);
    expect(pool.busySlots()).toEqual([]);
  });

  it('a slot comes back when its task ends, its kernel dies or the task is cancelled', async () => {
    // Three tasks hold the three slots; a fourth gets one only when one of them gives it back.
    const meet = mkdtempSync(join(scratch, 'hold-'));
    const controller = new AbortController();
    const cancelled = run(nb(`import os, time\nopen(os.path.join(${JSON.stringify(meet)}, 'c'), 'w').close()\ntime.sleep(3600)`), controller.signal);
    const dies = run(nb(`import os, time\nwhile not os.path.exists(os.path.join(${JSON.stringify(meet)}, 'die')): time.sleep(0.05)\nos._exit(1)`));
    const ends = run(nb(`import os, time\nwhile not os.path.exists(os.path.join(${JSON.stringify(meet)}, 'end')): time.sleep(0.05)`));
    const deadline = Date.now() + 120000;
    while (pool.busySlots().length < 3 || !existsSync(join(meet, 'c'))) {
      if (Date.now() > deadline) throw new Error(`slots busy: ${pool.busySlots().join(',')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const next = () => run(nb("import os\njob = {'result': os.environ.get('CUDA_VISIBLE_DEVICES')}"));

    writeFileSync(join(meet, 'end'), '');
    expect((await ends).status).toBe('ok');
    const afterEnd = await next();
    expect(afterEnd.status).toBe('ok');

    writeFileSync(join(meet, 'die'), '');
    const died = await dies;
    expect(died.status).toBe('error');
    expect(died.error?.kind).toBe('kernel-died');
    expect((await next()).status).toBe('ok');

    controller.abort(new Error('cancelled by the test'));
    expect((await cancelled).status).toBe('error');
    expect(pool.busySlots()).toEqual([]);
    // All three slots free again: three at once, each on its own GPU.
    const meet2 = mkdtempSync(join(scratch, 'meet2-'));
    const again = await Promise.all([0, 1, 2].map(() => run(together(meet2, 3))));
    expect(again.map((r) => (r.result as Record<string, string>).CUDA_VISIBLE_DEVICES).sort()).toEqual(['0', '1', '2']);
  });
});
