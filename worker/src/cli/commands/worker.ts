import { execFile } from 'child_process';
import { hostname } from 'os';
import { Command, InvalidArgumentError } from 'commander';
import { composeWorkerNode } from '../../compose';
import { loadConfig } from '../../config';
import { labelProblem } from '../../domain/names';
import { DEFAULT_QUEUE } from '../../domain/types';
import { integerOption } from '../integer-option';

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

interface IWorkerFlags {
  label: string[];
  concurrency: number;
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
    .option('--concurrency <n>', 'task notebooks run at once', integerOption(1), 1)
    .option('--hostname <name>', 'Celery node name (%h = host name)', `nbgrid-${process.pid}@%h`)
    .option('--no-gpu-detect', 'do not add the gpu label when nvidia-smi lists a GPU')
    .option('--pool-size <n>', 'kernels started ahead of need (0 = start one per task; default concurrency + 1, or NBGRID_KERNEL_POOL)', integerOption(0))
    .option('--prefetch <n>', 'messages taken from the queue ahead of a free slot (default 1, or NBGRID_PREFETCH)', integerOption(0))
    .option(
      '--kernel-reuse <mode>',
      "off | opt-in (notebooks with metadata nbgrid.reuse_kernel true) | all: reuse a kernel after a namespace reset instead of a fresh one (default off, or NBGRID_KERNEL_REUSE)"
    )
    .action(async (opts: IWorkerFlags) => {
      const config = loadConfig();
      const labels = opts.label.length ? [...opts.label] : [DEFAULT_QUEUE];
      if (opts.gpuDetect && !labels.includes('gpu') && (await hasGpu())) {
        labels.push('gpu');
        process.stdout.write('nvidia-smi lists a GPU: serving the gpu label too\n');
      }
      const node = await composeWorkerNode(config, {
        labels,
        concurrency: opts.concurrency,
        hostname: opts.hostname.replace('%h', hostname()),
        poolSize: opts.poolSize,
        prefetch: opts.prefetch,
        kernelReuse: opts.kernelReuse
      });
      const s = node.settings;
      process.stdout.write(
        `nbgrid worker ${s.hostname} serving ${s.labels.join(', ')} with concurrency ${s.concurrency}` +
          ` (kernel pool ${s.poolSize}, prefetch ${s.prefetch}, kernel reuse ${s.kernelReuse})\n`
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
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
