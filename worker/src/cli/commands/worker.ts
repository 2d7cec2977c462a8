import { execFile } from 'child_process';
import { hostname } from 'os';
import { Command, InvalidArgumentError } from 'commander';
import Redis from 'ioredis';
import { CeleryWorker, TaskEventBus } from '../../celery';
import { loadConfig } from '../../config';
import { labelProblem } from '../../domain/names';
import { DEFAULT_QUEUE, RUN_NOTEBOOK_TASK } from '../../domain/types';
import { KernelPool } from '../../executor/kernel-pool';
import { createRunNotebookHandler, type KernelReuseMode } from '../../runtime/run-notebook-task';
import { NbgridStore } from '../../storage/nbgrid-store';
import { StatusIndex } from '../../storage/status-index';
import { waitFor } from '../../stack/wait-for';

/** Collects repeated `--label`s, refusing one no map could name (its `require` has the same rule). */
const collectLabel = (value: string, previous: string[]): string[] => {
  const problem = labelProblem(value, '--label');
  if (problem !== null) throw new InvalidArgumentError(problem);
  return [...previous, value];
};

/** True when `nvidia-smi -L` lists at least one GPU on this machine. */
export function hasGpu(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['-L'], { timeout: 5000 }, (err, stdout) => resolve(!err && /^GPU \d+/m.test(stdout)));
  });
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description("execute task notebooks from the queues of this worker's labels")
    .option('--label <label>', `serve this label's queue (repeatable; default: ${DEFAULT_QUEUE})`, collectLabel, [])
    .option('--concurrency <n>', 'task notebooks run at once', Number, 1)
    .option('--hostname <name>', 'Celery node name (%h = host name)', `nbgrid-${process.pid}@%h`)
    .option('--no-gpu-detect', 'do not add the gpu label when nvidia-smi lists a GPU')
    .option('--pool-size <n>', 'kernels started ahead of need (0 = start one per task; default concurrency + 1, or NBGRID_KERNEL_POOL)', Number)
    .option('--prefetch <n>', 'messages taken from the queue ahead of a free slot (default 1, or NBGRID_PREFETCH)', Number)
    .option(
      '--kernel-reuse <mode>',
      "off | opt-in (notebooks with metadata nbgrid.reuse_kernel true) | all: reuse a kernel after a namespace reset instead of a fresh one (default off, or NBGRID_KERNEL_REUSE)"
    )
    .action(async (opts: { label: string[]; concurrency: number; hostname: string; gpuDetect: boolean; poolSize?: number; prefetch?: number; kernelReuse?: string }) => {
      const config = loadConfig();
      const labels = opts.label.length ? [...opts.label] : [DEFAULT_QUEUE];
      if (opts.gpuDetect && !labels.includes('gpu') && (await hasGpu())) {
        labels.push('gpu');
        process.stdout.write('nvidia-smi lists a GPU: serving the gpu label too\n');
      }
      const nodeName = opts.hostname.replace('%h', hostname());
      const env = process.env;
      const poolSize = opts.poolSize ?? (env.NBGRID_KERNEL_POOL !== undefined && env.NBGRID_KERNEL_POOL !== '' ? Number(env.NBGRID_KERNEL_POOL) : opts.concurrency + 1);
      const prefetch = opts.prefetch ?? (env.NBGRID_PREFETCH ? Number(env.NBGRID_PREFETCH) : 1);
      const kernelReuse = (opts.kernelReuse ?? env.NBGRID_KERNEL_REUSE ?? 'off') as KernelReuseMode;
      if (!Number.isInteger(poolSize) || poolSize < 0) throw new Error(`--pool-size must be 0 or a positive integer, got ${poolSize}`);
      if (!Number.isInteger(prefetch) || prefetch < 0) throw new Error(`--prefetch must be 0 or a positive integer, got ${prefetch}`);
      if (!['off', 'opt-in', 'all'].includes(kernelReuse)) throw new Error(`--kernel-reuse must be off, opt-in or all, got '${kernelReuse}'`);
      if (kernelReuse !== 'off' && poolSize === 0) throw new Error('--kernel-reuse needs a kernel pool: set --pool-size to 1 or more');
      const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
      redis.on('error', () => undefined);
      const store = await waitFor('MongoDB', () => NbgridStore.open(config.mongoUrl, { dbName: config.database, statusIndex: new StatusIndex(redis), log: (line) => process.stdout.write(`${line}\n`) }), {
        timeoutMs: 120000,
        intervalMs: 1000
      });
      const bus = new TaskEventBus(redis);
      const worker = new CeleryWorker(redis, {
        queues: labels,
        labels,
        concurrency: opts.concurrency,
        prefetch,
        hostname: nodeName,
        visibilityTimeout: config.visibilityTimeout,
        restoreIntervalMs: Math.min(10000, Math.max(500, (config.visibilityTimeout * 1000) / 4))
      });
      const kernelPool = new KernelPool({
        gatewayUrl: config.gatewayUrl,
        token: config.gatewayToken,
        size: poolSize,
        log: (line) => process.stdout.write(`${line}\n`)
      }).start();
      worker.register(
        RUN_NOTEBOOK_TASK,
        createRunNotebookHandler({
          store,
          gateway: { url: config.gatewayUrl, token: config.gatewayToken },
          emit: (e) => bus.publish(e).catch(() => undefined),
          kernelPool: poolSize > 0 ? kernelPool : undefined,
          kernelReuse,
          log: (line) => process.stdout.write(`${line}\n`)
        })
      );
      await worker.start();
      process.stdout.write(
        `nbgrid worker ${nodeName} serving ${labels.join(', ')} with concurrency ${opts.concurrency}` +
          ` (kernel pool ${poolSize}, prefetch ${prefetch}, kernel reuse ${kernelReuse})\n`
      );
      let stopping = false;
      const stop = async (signal: string): Promise<void> => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`${signal}: draining running tasks\n`);
        await worker.close();
        await kernelPool.close();
        await store.close();
        redis.disconnect();
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
