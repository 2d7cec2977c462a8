import { randomBytes } from 'crypto';
import * as path from 'path';
import { configEnv } from '../config';
import { freePort } from './free-port';
import { FORK_SERVER_NAME, KernelLaunchMode, removeKernelCwd, startGateway } from './gateway';
import { IManagedProcess, isPidAlive, spawnManaged, stopPid, tailLog } from './managed-process';
import { startMongo } from './mongo';
import { ensurePrivateDir, nbgridCli } from './paths';
import { redactedUrl, startRedis } from './redis';
import { type IStackInfo, readStack, removeStack, writeStack } from './stack-file';
import { waitFor } from './wait-for';

export type { IStackInfo } from './stack-file';
export { readStack, stackFile, writeStack } from './stack-file';

export interface IUpOptions {
  /** Directory holding `stack.json` and `run/`. */
  home: string;
  /** Workers to start (0 = services only). @defaultValue 2 */
  workers?: number;
  /** Concurrency of each worker. @defaultValue the worker's own: 1, or its GPU slot count */
  concurrency?: number;
  /** Labels of every local worker besides `default`. @defaultValue [] */
  labels?: string[];
  /** Start the API service. @defaultValue true */
  service?: boolean;
  /** Outlive this process (`nbgrid up`); tests keep it false. @defaultValue true */
  detached?: boolean;
  /** Visibility timeout of the workers in seconds. @defaultValue 3600 */
  visibilityTimeout?: number;
  /**
   * Redis and MongoDB also listen on this address (e.g. a bridge that worker hosts reach); the API
   * service stays on 127.0.0.1. @defaultValue loopback only
   */
  host?: string;
  /**
   * How the stack's Kernel Gateway starts `python3` kernels (`fork`: from a kernel fork server,
   * see `startGateway`; `spawn` where the fork server cannot start). @defaultValue 'fork'
   */
  kernelLaunch?: KernelLaunchMode;
  /** Modules the kernel fork server imports once (`nbgrid up --preload`; fork mode). @defaultValue [] */
  preload?: string[];
  /** The kernel fork server's interpreter (tests). @defaultValue the project's `.venv/bin/python` */
  forkServerPython?: string;
  log?: (line: string) => void;
}

export interface IRunningStack {
  info: IStackInfo;
  processes: IManagedProcess[];
  /** Start one more worker on this stack; it serves exactly `labels` (default: `['default']`). */
  addWorker(options: { labels?: string[]; concurrency?: number; name?: string }): Promise<IManagedProcess>;
  down(): Promise<void>;
}

export async function waitHealthy(apiUrl: string, proc: IManagedProcess): Promise<void> {
  try {
    await waitFor(
      'nbgrid API service',
      async () => (await fetch(`${apiUrl}/api/health`, { signal: AbortSignal.timeout(2000) })).ok,
      { timeoutMs: 30000, intervalMs: 200, isAlive: proc.isAlive }
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${tailLog(proc.logFile)}`);
  }
}

/**
 * Starts Redis, MongoDB (FerretDB unless NBGRID_MONGO_URL), a Kernel Gateway, the API service and
 * workers on free ports under `<home>/run`, health-checks each and writes `<home>/stack.json`.
 */
export async function upStack(options: IUpOptions): Promise<IRunningStack> {
  const log = options.log ?? (() => undefined);
  const detached = options.detached ?? true;
  const home = ensurePrivateDir(options.home);
  const runDir = ensurePrivateDir(path.join(home, 'run'));
  const started: IManagedProcess[] = [];
  const stopAll = async (): Promise<void> => {
    for (const p of [...started].reverse()) await p.stop();
  };
  try {
    const redis = await startRedis({ dir: runDir, detached, host: options.host });
    if (redis.process) started.push(redis.process);
    log(`redis      ${redactedUrl(redis.url)}`);
    const mongo = await startMongo({ dir: runDir, detached, host: options.host });
    if (mongo.process) started.push(mongo.process);
    log(`mongodb    ${mongo.url}${mongo.process ? ' (FerretDB)' : ' (NBGRID_MONGO_URL)'}`);
    const gateway = await startGateway({
      dir: path.join(runDir, 'gateway'), detached, kernelLaunch: options.kernelLaunch, preload: options.preload,
      forkServerPython: options.forkServerPython, log
    });
    // Stopped in reverse order: the gateway (which shuts its kernels down) before the fork server.
    if (gateway.forkServer) started.push(gateway.forkServer);
    if (gateway.process) started.push(gateway.process);
    const preloaded = gateway.preload.length ? `, preloaded ${gateway.preload.join(', ')}` : '';
    log(`gateway    ${gateway.url}${gateway.forkServer ? ` (kernels forked by a kernel fork server${preloaded})` : ' (kernels spawned)'}`);
    const token = randomBytes(24).toString('hex');
    const port = await freePort();
    const base = configEnv({
      redisUrl: redis.url,
      mongoUrl: mongo.url,
      token,
      gatewayUrl: gateway.url,
      gatewayToken: gateway.token,
      port,
      visibilityTimeout: options.visibilityTimeout
    });
    const env = { ...process.env, ...base };
    const info: IStackInfo = {
      api_url: `http://127.0.0.1:${port}`,
      token,
      redis_url: redis.url,
      mongo_url: mongo.url,
      gateway_url: gateway.url,
      gateway_token: gateway.token,
      run_dir: runDir,
      pids: {},
      workers: {},
      kernel_launch: gateway.kernelLaunch,
      ...(gateway.preload.length ? { preload: gateway.preload } : {}),
      ...(options.visibilityTimeout ? { visibility_timeout: options.visibilityTimeout } : {}),
      ...(options.host ? { host: options.host } : {})
    };
    for (const p of started) info.pids[p.name] = p.pid;
    if (options.service ?? true) {
      const service = spawnManaged({ name: 'service', command: process.execPath, args: [nbgridCli, 'serve'], dir: runDir, env, detached });
      started.push(service);
      info.pids.service = service.pid;
      await waitHealthy(info.api_url, service);
      log(`service    ${info.api_url}`);
    }
    let workerCount = 0;
    const addWorker = async (w: { labels?: string[]; concurrency?: number; name?: string }): Promise<IManagedProcess> => {
      workerCount += 1;
      const name = w.name ?? `worker-${workerCount}`;
      // No concurrency given: the worker picks its own (one task per GPU slot on a GPU node, else 1).
      const concurrency = w.concurrency ?? options.concurrency;
      const how = { labels: w.labels ?? ['default'], ...(concurrency !== undefined ? { concurrency } : {}) };
      const proc = spawnWorker(name, how, runDir, env, detached);
      started.push(proc);
      info.pids[name] = proc.pid;
      (info.workers ??= {})[name] = how;
      writeStack(home, info);
      return proc;
    };
    for (let i = 0; i < (options.workers ?? 2); i++) {
      await addWorker({ labels: ['default', ...(options.labels ?? [])] });
    }
    if (options.service ?? true) await waitForWorkers(info, options.workers ?? 2);
    writeStack(home, info);
    if (options.workers) log(`workers    ${options.workers} (logs in ${runDir})`);
    return {
      info,
      processes: started,
      addWorker,
      down: async () => {
        await stopAll();
        removeStack(home);
      }
    };
  } catch (err) {
    await stopAll();
    // A stack.json left behind would send every client to processes that are gone.
    removeStack(home);
    throw err;
  }
}

/** Starts `nbgrid worker` as the stack's process `name`. */
export function spawnWorker(
  name: string, how: IWorkerHow, runDir: string, env: NodeJS.ProcessEnv, detached: boolean
): IManagedProcess {
  return spawnManaged({ name, command: process.execPath, args: [nbgridCli, ...workerArgs(name, how)], dir: runDir, env, detached });
}

/** How a stack's worker is started: `concurrency` absent lets the worker choose (see `resolveWorkerSettings`). */
export interface IWorkerHow {
  labels: string[];
  concurrency?: number;
}

/** The `nbgrid worker` arguments of the stack's worker `name`. */
export function workerArgs(name: string, how: IWorkerHow): string[] {
  const args = ['worker', '--hostname', `${name}@%h`];
  if (how.concurrency !== undefined) args.push('--concurrency', String(how.concurrency));
  for (const label of how.labels) args.push('--label', label);
  return args;
}

/** Waits until the API lists `count` live workers (their first heartbeat arrived). */
export async function waitForWorkers(info: IStackInfo, count: number, timeoutMs = 60000): Promise<void> {
  if (count === 0) return;
  await waitFor(
    `${count} live workers`,
    async () => {
      const res = await fetch(`${info.api_url}/api/workers`, { headers: { Authorization: `token ${info.token}` } });
      const body = (await res.json()) as { workers?: unknown[] };
      return res.ok && (body.workers?.length ?? 0) >= count;
    },
    { timeoutMs, intervalMs: 250 }
  );
}

/** Stops every process `stack.json` names (workers first, so they drain), then removes it. */
export async function downStack(home: string): Promise<string[]> {
  const info = readStack(home);
  if (!info) return [];
  const order = Object.entries(info.pids).sort(([a], [b]) => rank(a) - rank(b));
  const stopped: string[] = [];
  for (const [name, pid] of order) {
    if (isPidAlive(pid)) stopped.push(name);
    await stopPid(pid, name.startsWith('worker') ? 30000 : 5000);
  }
  removeKernelCwd(path.join(info.run_dir, 'gateway'));
  removeStack(home);
  return stopped;
}

function rank(name: string): number {
  if (name.startsWith('worker')) return 0;
  return ['service', 'kernelgateway', FORK_SERVER_NAME, 'ferretdb', 'redis'].indexOf(name) + 1;
}
