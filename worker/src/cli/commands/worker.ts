import { hostname } from 'os';
import { Command, InvalidArgumentError } from 'commander';
import { composeWorkerNode } from '../../compose';
import { loadConfig } from '../../config';
import { labelProblem } from '../../domain/names';
import { DEFAULT_QUEUE } from '../../domain/types';
import { detectGpus, parseGpuList } from '../../gpu/gpu-slots';
import { integerOption } from '../integer-option';

/** Collects repeated `--label`s, refusing one no map could name (its `require` has the same rule). */
const collectLabel = (value: string, previous: string[]): string[] => {
  const problem = labelProblem(value, '--label');
  if (problem !== null) throw new InvalidArgumentError(problem);
  return [...previous, value];
};

/** `--gpus 0,1,2,3`, refused with a message naming the flag. */
const gpuListOption = (value: string): string[] => {
  try {
    return parseGpuList(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

interface IWorkerFlags {
  label: string[];
  concurrency?: number;
  gpus?: string[];
  gpusPerTask?: number;
  hostname: string;
  gpuDetect: boolean;
  poolSize?: number;
  prefetch?: number;
  kernelReuse?: string;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description("execute task notebooks from the queues of this worker's labels")
    .option('--label <label>', `serve this label's queue (repeatable; default: ${DEFAULT_QUEUE})`, collectLabel, [])
    .option('--concurrency <n>', 'task notebooks run at once (default 1, or one per GPU slot on a GPU node)', integerOption(1))
    .option('--hostname <name>', 'Celery node name (%h = host name)', `nbgrid-${process.pid}@%h`)
    .option('--no-gpu-detect', 'do not look for GPUs with nvidia-smi (no gpu label, no GPU slots)')
    .option('--gpus <list>', 'GPUs of this node, e.g. 0,1,2,3: each task gets its own through CUDA_VISIBLE_DEVICES (default: those nvidia-smi -L lists)', gpuListOption)
    .option('--gpus-per-task <n>', 'GPUs each task gets (default 1)', integerOption(1))
    .option('--pool-size <n>', 'kernels started ahead of need (0 = start one per task; default concurrency + 3, or NBGRID_KERNEL_POOL)', integerOption(0))
    .option('--prefetch <n>', 'messages taken from the queue ahead of a free slot (default 1, or NBGRID_PREFETCH)', integerOption(0))
    .option(
      '--kernel-reuse <mode>',
      "off | opt-in (notebooks with metadata nbgrid.reuse_kernel true) | all: reuse a kernel after a namespace reset instead of a fresh one (default off, or NBGRID_KERNEL_REUSE)"
    )
    .action(async (opts: IWorkerFlags) => {
      const config = loadConfig();
      const labels = opts.label.length ? [...opts.label] : [DEFAULT_QUEUE];
      const gpus = opts.gpus ?? (opts.gpuDetect ? await detectGpus() : []);
      if (gpus.length > 0 && !labels.includes('gpu')) {
        labels.push('gpu');
        process.stdout.write(`${opts.gpus ? '--gpus' : 'nvidia-smi'} lists a GPU: serving the gpu label too (${gpus.length} GPU${gpus.length > 1 ? 's' : ''})\n`);
      }
      const remote: { stop?: (signal: string) => Promise<void> } = {};
      const node = await composeWorkerNode(config, {
        // Celery's remote shutdown (Flower, `celery control shutdown`): the same warm shutdown as SIGTERM.
        onShutdownRequest: () => void remote.stop?.('remote shutdown'),
        labels,
        concurrency: opts.concurrency,
        hostname: opts.hostname.replace('%h', hostname()),
        poolSize: opts.poolSize,
        prefetch: opts.prefetch,
        kernelReuse: opts.kernelReuse,
        gpus,
        gpusPerTask: opts.gpusPerTask
      });
      const s = node.settings;
      process.stdout.write(
        `nbgrid worker ${s.hostname} serving ${s.labels.join(', ')} with concurrency ${s.concurrency}` +
          ` (kernel pool ${s.poolSize}, prefetch ${s.prefetch}, kernel reuse ${s.kernelReuse})\n` +
          (s.gpuSlots ? `GPU slots: ${s.gpuSlots.map((g) => `${g.id}=${g.gpus.join(',')}`).join(' ')}\n` : '')
      );
      let stopping = false;
      const stop = async (signal: string): Promise<void> => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`${signal}: draining running tasks (at most ${config.shutdownGrace}s, NBGRID_SHUTDOWN_GRACE)\n`);
        // The last resort: whatever hangs (Redis or MongoDB gone), the process ends within the grace.
        setTimeout(() => {
          process.stderr.write(`nbgrid worker: not closed after ${config.shutdownGrace}s (NBGRID_SHUTDOWN_GRACE); exiting\n`);
          process.exit(1);
        }, config.shutdownGrace * 1000).unref();
        await node.close();
        process.exit(0);
      };
      remote.stop = stop;
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
