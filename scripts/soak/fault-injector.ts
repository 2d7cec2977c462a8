/**
 * Injects the soak's faults into a running private stack: SIGKILL of a worker (a new worker takes
 * its place), and a restart of the Kernel Gateway, Redis, MongoDB (FerretDB) or the API service on
 * the same port, data directory and token. One fault at a time; each returns once the part is back.
 */
import * as path from 'path';
import { configEnv } from '../../worker/src/config';
import { startGateway, startMongo, startRedis, type IRunningStack } from '../../worker/src/stack';
import { spawnManaged, type IManagedProcess } from '../../worker/src/stack/managed-process';
import { nbgridCli } from '../../worker/src/stack/paths';
import type { FaultKind } from './fault-kinds';
import type { SeededRandom } from './random';

type ServiceName = 'redis' | 'ferretdb' | 'kernelgateway' | 'service';

const SERVICE_OF: Record<Exclude<FaultKind, 'worker-kill'>, ServiceName> = {
  'gateway-restart': 'kernelgateway',
  'redis-restart': 'redis',
  'mongodb-restart': 'ferretdb',
  'service-restart': 'service'
};

/** One injected fault, as the report and the diagnosis need it. */
export interface IInjectedFault {
  kind: FaultKind;
  /** ms since the epoch when the part went down. */
  at: number;
  /** Seconds the part was down. */
  downSeconds: number;
  /** What exactly was hit, e.g. the killed worker's name. */
  target: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const portOf = (url: string): number => Number(new URL(url).port);

export class FaultInjector {
  /** Processes started in place of the stack's own; stopped by {@link stopReplacements}. */
  private readonly replacements: IManagedProcess[] = [];
  readonly injected: IInjectedFault[] = [];

  constructor(
    private readonly stack: IRunningStack,
    private readonly rnd: SeededRandom,
    private readonly visibilityTimeout: number,
    /** Labels of a worker started in place of a killed one (the stack's workers' labels). */
    private readonly workerLabels: string[],
    private readonly log: (line: string) => void
  ) {}

  /** Every process of the stack that is alive now, replacements included. */
  alive(): IManagedProcess[] {
    return [...this.stack.processes, ...this.replacements].filter((p) => p.isAlive());
  }

  async inject(kind: FaultKind): Promise<IInjectedFault> {
    const fault = kind === 'worker-kill' ? await this.killWorker() : await this.restart(kind, SERVICE_OF[kind]);
    this.injected.push(fault);
    this.log(`fault ${fault.kind} (${fault.target}): down ${fault.downSeconds.toFixed(1)} s`);
    return fault;
  }

  /** SIGKILL of one live worker (no chance to give anything back), then a fresh worker joins. */
  private async killWorker(): Promise<IInjectedFault> {
    const workers = this.alive().filter((p) => p.name.startsWith('worker'));
    if (workers.length === 0) throw new Error('no live worker to kill');
    const victim = this.rnd.pick(workers);
    const at = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    while (victim.isAlive()) await sleep(20);
    await sleep(this.rnd.int(500, 3000));
    const fresh = await this.stack.addWorker({ labels: this.workerLabels });
    return { kind: 'worker-kill', at, downSeconds: (Date.now() - at) / 1000, target: `${victim.name} killed, ${fresh.name} started` };
  }

  /** SIGTERM (SIGKILL after 5 s) of one service, a pause, and the same service again. */
  private async restart(kind: FaultKind, name: ServiceName): Promise<IInjectedFault> {
    const current = this.alive().find((p) => p.name === name);
    if (!current) throw new Error(`no running ${name}`);
    const at = Date.now();
    await current.stop();
    await sleep(this.rnd.int(1000, name === 'ferretdb' ? 5000 : 3000));
    await this.start(name);
    return { kind, at, downSeconds: (Date.now() - at) / 1000, target: name };
  }

  private async start(name: ServiceName): Promise<void> {
    const info = this.stack.info;
    let proc: IManagedProcess | null;
    if (name === 'redis') proc = (await startRedis({ dir: info.run_dir, port: portOf(info.redis_url) })).process;
    else if (name === 'ferretdb') proc = (await startMongo({ dir: info.run_dir, port: portOf(info.mongo_url) })).process;
    else if (name === 'kernelgateway') {
      const dir = path.join(info.run_dir, 'gateway');
      proc = (await startGateway({ dir, port: portOf(info.gateway_url), token: info.gateway_token })).process;
    } else {
      const env = {
        ...process.env,
        ...configEnv({
          redisUrl: info.redis_url, mongoUrl: info.mongo_url, token: info.token, gatewayUrl: info.gateway_url,
          gatewayToken: info.gateway_token, port: portOf(info.api_url), visibilityTimeout: this.visibilityTimeout
        })
      };
      proc = spawnManaged({ name: 'service', command: process.execPath, args: [nbgridCli, 'serve'], dir: info.run_dir, env });
    }
    if (proc) this.replacements.push(proc);
  }

  /** Stops what this injector started (the stack's own processes are the stack's to stop). Idempotent. */
  async stopReplacements(): Promise<void> {
    for (const p of this.replacements.splice(0).reverse()) await p.stop();
  }
}
