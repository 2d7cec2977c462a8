import { execFile } from 'child_process';
import { hostname } from 'os';
import { Command } from 'commander';
import Redis from 'ioredis';
import { CeleryWorker, TaskEventBus } from '../../celery';
import { loadConfig } from '../../config';
import { DEFAULT_QUEUE, RUN_NOTEBOOK_TASK } from '../../domain/types';
import { createRunNotebookHandler } from '../../runtime/run-notebook-task';
import { NbgridStore } from '../../storage/nbgrid-store';
import { waitFor } from '../../stack/wait-for';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

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
    .option('--label <label>', `serve this label's queue (repeatable; default: ${DEFAULT_QUEUE})`, collect, [])
    .option('--concurrency <n>', 'task notebooks run at once', Number, 1)
    .option('--hostname <name>', 'Celery node name (%h = host name)', `nbgrid-${process.pid}@%h`)
    .option('--no-gpu-detect', 'do not add the gpu label when nvidia-smi lists a GPU')
    .action(async (opts: { label: string[]; concurrency: number; hostname: string; gpuDetect: boolean }) => {
      const config = loadConfig();
      const labels = opts.label.length ? [...opts.label] : [DEFAULT_QUEUE];
      if (opts.gpuDetect && !labels.includes('gpu') && (await hasGpu())) {
        labels.push('gpu');
        process.stdout.write('nvidia-smi lists a GPU: serving the gpu label too\n');
      }
      const nodeName = opts.hostname.replace('%h', hostname());
      const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
      redis.on('error', () => undefined);
      const store = await waitFor('MongoDB', () => NbgridStore.open(config.mongoUrl, { dbName: config.database }), {
        timeoutMs: 120000,
        intervalMs: 1000
      });
      const bus = new TaskEventBus(redis);
      const worker = new CeleryWorker(redis, {
        queues: labels,
        labels,
        concurrency: opts.concurrency,
        hostname: nodeName,
        visibilityTimeout: config.visibilityTimeout,
        restoreIntervalMs: Math.min(10000, Math.max(500, (config.visibilityTimeout * 1000) / 4))
      });
      worker.register(
        RUN_NOTEBOOK_TASK,
        createRunNotebookHandler({
          store,
          gateway: { url: config.gatewayUrl, token: config.gatewayToken },
          emit: (e) => bus.publish(e).catch(() => undefined),
          log: (line) => process.stdout.write(`${line}\n`)
        })
      );
      await worker.start();
      process.stdout.write(`nbgrid worker ${nodeName} serving ${labels.join(', ')} with concurrency ${opts.concurrency}\n`);
      let stopping = false;
      const stop = async (signal: string): Promise<void> => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`${signal}: draining running tasks\n`);
        await worker.close();
        await store.close();
        redis.disconnect();
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
