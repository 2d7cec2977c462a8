/**
 * A worker's wiring, in one place: Redis, the store on MongoDB, the event bus, the Celery worker
 * consuming this node's queues, the kernel pool on this node's gateway, and the notebook task
 * handler between them. `nbgrid worker` runs one per process; a test can run one in process.
 */
import { hostname } from 'os';
import Redis from 'ioredis';
import { CeleryWorker } from '../celery';
import { ConfigError, KERNEL_REUSE_MODES, type INbgridConfig } from '../config';
import { DEFAULT_QUEUE, RUN_NOTEBOOK_TASK } from '../domain/types';
import { KernelPool, probeGateway, SlotKernelPool } from '../executor';
import { gpuSlots, type IGpuSlot } from '../gpu/gpu-slots';
import { partialTtlFor, ProgressPublisher } from '../progress/progress-publisher';
import { NbgridTaskPublisher, TaskEventBus } from '../queue';
import { InfraGuard } from '../runtime/infra-guard';
import { createRunNotebookHandler } from '../runtime/run-notebook-task';
import { ReduceTrigger } from '../reduce/reduce-trigger';
import { rememberOkRun } from '../cache/cache-map';
import { withReduceEcho } from '../reduce/reduce-events';
import { writeLogLine } from '../cli/terminal-text';
import { Cleanups } from './cleanups';
import { closeOnce } from './close-once';
import { openStore } from './open-store';

type KernelReuse = (typeof KERNEL_REUSE_MODES)[number];

/** A MongoDB probe's ping is aborted after this long (below the guard's 3 s probe timeout). */
const MONGO_PROBE_TIMEOUT_MS = 2500;

/**
 * Kernels a worker's pool keeps beyond one per slot, by default. A forked kernel takes about
 * 0.4 s of wall time to start and answer `kernel_info` on a busy 2-core machine, while a trivial
 * task holds its slot for under 0.2 s: with one kernel ahead the pool ran dry on 3 of 4 tasks
 * (bench/README.md, "slot time per task"); three ahead keep a ready kernel for each.
 */
export const POOL_AHEAD = 3;

export interface IWorkerNodeOptions {
  /** Labels served (each label is a queue). @defaultValue `['default']` */
  labels?: string[];
  /** Task notebooks run at once. @defaultValue 1 */
  concurrency?: number;
  /** Celery node name, e.g. `nbgrid-123@host`. @defaultValue `nbgrid-<pid>@<host name>` */
  hostname?: string;
  /** Kernels started ahead of need; 0 starts one per task. @defaultValue `config.kernelPool`, else concurrency + {@link POOL_AHEAD} */
  poolSize?: number;
  /** Messages taken ahead of a free slot. @defaultValue `config.prefetch` */
  prefetch?: number;
  /** Which tasks reuse a kernel after a namespace reset. @defaultValue `config.kernelReuse` */
  kernelReuse?: string;
  /** @defaultValue a line on stdout */
  log?: (line: string) => void;
  /** Milliseconds to wait for MongoDB at start. @defaultValue 120000 */
  mongoWaitMs?: number;
  /** Milliseconds between probes of the gateway and MongoDB while both are up. @defaultValue 5000 */
  probeIntervalMs?: number;
  /**
   * What Celery's remote `shutdown` (Flower's Shut Down, `celery control shutdown`) does.
   * @defaultValue the node's {@link IWorkerNode.close} (a warm shutdown)
   */
  onShutdownRequest?: () => void;
  /**
   * GPUs of this node (indices or UUIDs, from `nvidia-smi -L` or `--gpus`): each task's kernel gets
   * its own slot of them through `CUDA_VISIBLE_DEVICES`. @defaultValue none (no GPU binding)
   */
  gpus?: string[];
  /** GPUs per task (per slot). @defaultValue 1 */
  gpusPerTask?: number;
}

/** What a worker node runs with, options and environment combined. */
export interface IWorkerSettings {
  labels: string[];
  concurrency: number;
  hostname: string;
  poolSize: number;
  prefetch: number;
  kernelReuse: KernelReuse;
  /** GPU slots; absent on a node without GPUs (its settings are as they always were). */
  gpuSlots?: IGpuSlot[];
}

export interface IWorkerNode {
  worker: CeleryWorker;
  kernelPool: KernelPool;
  /** On a GPU node: the kernels bound to GPU slots, which serve the tasks instead of `kernelPool`. */
  slotPool?: SlotKernelPool;
  settings: IWorkerSettings;
  /**
   * Drains running tasks (for `config.shutdownGrace` seconds at most, less a few for the rest),
   * gives back what it holds, then closes the kernel pool, MongoDB and Redis. Idempotent.
   */
  close(): Promise<void>;
}

const isCount = (n: number): boolean => Number.isInteger(n) && n >= 0;

/**
 * Combines options and configuration, flags before environment.
 * @throws ConfigError naming each option that does not fit
 */
export function resolveWorkerSettings(config: INbgridConfig, options: IWorkerNodeOptions = {}): IWorkerSettings {
  const problems: string[] = [];
  let slots: IGpuSlot[] = [];
  try {
    slots = gpuSlots(options.gpus ?? [], options.gpusPerTask ?? 1);
  } catch (err) {
    problems.push((err as Error).message);
  }
  // One task per GPU slot unless told otherwise.
  const concurrency = options.concurrency ?? (slots.length > 0 ? slots.length : 1);
  const settings = {
    labels: options.labels?.length ? [...options.labels] : [DEFAULT_QUEUE],
    concurrency,
    hostname: options.hostname ?? `nbgrid-${process.pid}@${hostname()}`,
    poolSize: options.poolSize ?? config.kernelPool ?? concurrency + POOL_AHEAD,
    prefetch: options.prefetch ?? config.prefetch,
    kernelReuse: (options.kernelReuse ?? config.kernelReuse) as KernelReuse,
    ...(slots.length > 0 ? { gpuSlots: slots } : {})
  };
  if (!Number.isInteger(concurrency) || concurrency < 1) problems.push(`--concurrency must be a positive integer, got ${concurrency}`);
  if (!isCount(settings.poolSize)) problems.push(`--pool-size must be 0 or a positive integer, got ${settings.poolSize}`);
  if (!isCount(settings.prefetch)) problems.push(`--prefetch must be 0 or a positive integer, got ${settings.prefetch}`);
  if (!KERNEL_REUSE_MODES.includes(settings.kernelReuse)) {
    problems.push(`--kernel-reuse must be ${KERNEL_REUSE_MODES.join(', ')}, got '${settings.kernelReuse}'`);
  } else if (settings.kernelReuse !== 'off' && settings.poolSize === 0) {
    problems.push('--kernel-reuse needs a kernel pool: set --pool-size to 1 or more');
  }
  if (problems.length > 0) throw new ConfigError(problems, 'worker options');
  return settings;
}

/** Log lines carry names and messages from users and notebooks: no terminal escapes get through. */
const stdoutLine = (line: string): void => writeLogLine(process.stdout, line);

/** Builds the worker node and starts consuming. @throws ConfigError for options that do not fit */
export async function composeWorkerNode(config: INbgridConfig, options: IWorkerNodeOptions = {}): Promise<IWorkerNode> {
  const settings = resolveWorkerSettings(config, options);
  // The kernel pool follows the concurrency (pool_grow / pool_shrink / autoscale) unless its size was set.
  const poolFollows = options.poolSize === undefined && config.kernelPool === undefined;
  let kernelPoolRef: KernelPool | undefined;
  let closeRef: (() => Promise<void>) | undefined;
  const log = options.log ?? stdoutLine;
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const cleanups = new Cleanups();
  cleanups.push(() => redis.disconnect());
  const cleanUp = (): Promise<void> => cleanups.run();
  try {
    const store = await openStore(config, redis, log, options.mongoWaitMs);
    cleanups.push(() => store.close());
    const bus = new TaskEventBus(redis);
    // a reduce task's events also reach the followers of the job it reduces
    const publishEvent = withReduceEcho((e) => bus.publish(e));
    const worker = new CeleryWorker(redis, {
      queues: settings.labels,
      labels: settings.labels,
      concurrency: settings.concurrency,
      prefetch: settings.prefetch,
      hostname: settings.hostname,
      visibilityTimeout: config.visibilityTimeout,
      restoreIntervalMs: Math.min(10000, Math.max(500, (config.visibilityTimeout * 1000) / 4)),
      onConcurrencyChange: (n) => {
        settings.concurrency = n;
        if (poolFollows && settings.poolSize > 0) {
          settings.poolSize = n + POOL_AHEAD;
          kernelPoolRef?.resize(settings.poolSize);
        }
        log(`concurrency now ${n} (kernel pool ${settings.poolSize})`);
      },
      onQueuesChange: (queues) => {
        settings.labels = [...queues];
        log(`serving ${queues.join(', ') || 'no queue'}`);
      },
      onShutdownRequest: () => {
        if (options.onShutdownRequest) options.onShutdownRequest();
        else void closeRef?.();
      }
    });
    // Paused (no messages taken, held ones given back) while the gateway or MongoDB is down. The
    // MongoDB ping is aborted when unanswered (its connection closed): a hung one cannot pile up.
    const guard = new InfraGuard({
      parts: [
        { name: 'gateway', label: `Kernel Gateway at ${config.gatewayUrl}`, probe: () => probeGateway(config.gatewayUrl, config.gatewayToken) },
        { name: 'mongodb', label: 'MongoDB', probe: () => store.ping(MONGO_PROBE_TIMEOUT_MS).then(() => undefined, (err: unknown) => {
          throw new Error(`MongoDB unreachable (${err instanceof Error ? err.message : String(err)})`);
        }) }
      ],
      pause: (reason) => worker.pause(reason),
      resume: () => worker.resume(),
      intervalMs: options.probeIntervalMs,
      log
    });
    // A worker that finishes a group's last task queues the group's reduce task (exactly once).
    const reduceTrigger = new ReduceTrigger({
      reduce: store.reduce,
      tasks: store.tasks,
      notebooks: store.notebooks,
      publisher: new NbgridTaskPublisher(redis, { visibilityTimeout: config.visibilityTimeout }),
      emit: (e) => publishEvent(e).catch(() => undefined),
      log
    });
    const kernelPool = new KernelPool({ gatewayUrl: config.gatewayUrl, token: config.gatewayToken, size: settings.gpuSlots ? 0 : settings.poolSize, log, reusable: settings.kernelReuse !== 'off' }).start();
    kernelPoolRef = kernelPool;
    const slotPool = settings.gpuSlots
      ? new SlotKernelPool({ gatewayUrl: config.gatewayUrl, token: config.gatewayToken, slots: settings.gpuSlots, log, reusable: settings.kernelReuse !== 'off' }).start()
      : undefined;
    if (slotPool) cleanups.push(() => slotPool.close());
    cleanups.push(() => kernelPool.close());
    worker.register(
      RUN_NOTEBOOK_TASK,
      createRunNotebookHandler({
        store,
        gateway: { url: config.gatewayUrl, token: config.gatewayToken },
        emit: (e) => publishEvent(e).catch(() => undefined),
        kernelPool: slotPool ?? (settings.poolSize > 0 ? kernelPool : undefined),
        kernelReuse: settings.kernelReuse,
        outputLimits: {
          maxOutputBytes: config.maxOutputBytes,
          maxNotebookOutputBytes: config.maxNotebookOutputBytes,
          raiseHint: "raise NBGRID_MAX_OUTPUT_BYTES / NBGRID_MAX_NOTEBOOK_OUTPUT_BYTES in the worker's environment"
        },
        log,
        infra: guard,
        progress: new ProgressPublisher(redis, { log, partialTtlSec: partialTtlFor(config.visibilityTimeout) }),
        onTaskFinal: (task) => reduceTrigger.onTaskFinal(task.task_group),
        // every OK run is remembered by its input key, for later maps with cache=True
        onRunOk: (task, nb, param, returned) =>
          rememberOkRun(store.cache, task, nb, param, returned).catch((err: unknown) =>
            log(`cache entry of ${task.name} not written (${err instanceof Error ? err.message : String(err)})`)
          )
      })
    );
    // Closed first: running tasks drain while their kernels and the store are still there. The
    // drain gets the grace less a reserve for giving back messages and closing the rest.
    const graceMs = config.shutdownGrace * 1000;
    const finishMs = Math.min(5000, graceMs / 4);
    cleanups.push(() => worker.close({ timeoutMs: graceMs - 2 * finishMs, finishMs }));
    cleanups.push(() => guard.close());
    await worker.start();
    guard.start();
    const close = closeOnce(cleanUp);
    closeRef = close;
    return { worker, kernelPool, slotPool, settings, close };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}
