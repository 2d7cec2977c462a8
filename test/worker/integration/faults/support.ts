/**
 * Fault injection on a real stack: restart a service on the same port and data, kill a worker,
 * check a task group for lost tasks and duplicate OK runs, and record a line of the fault report.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { configEnv } from '../../../../worker/src/config';
import type { IJobRun } from '../../../../worker/src/domain/types';
import { isFinalState } from '../../../../worker/src/domain/queue-states';
import { IRunningStack, startGateway, startMongo, startRedis } from '../../../../worker/src/stack';
import { IManagedProcess, spawnManaged } from '../../../../worker/src/stack/managed-process';
import { nbgridCli } from '../../../../worker/src/stack/paths';
import type { TestApi } from '../../support/api';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const portOf = (url: string): number => Number(new URL(url).port);

/** Processes a test started in place of the stack's own (stopped in afterAll). */
export class Replacements {
  private readonly procs: IManagedProcess[] = [];

  constructor(private readonly stack: IRunningStack, private readonly visibilityTimeout: number) {}

  private current(name: string): IManagedProcess {
    const p = [...this.procs, ...this.stack.processes].find((x) => x.name === name && x.isAlive());
    if (!p) throw new Error(`no running ${name}`);
    return p;
  }

  /** SIGTERM (then SIGKILL after 5 s) the named service; resolves once it is gone. */
  async stop(name: 'redis' | 'ferretdb' | 'kernelgateway' | 'service'): Promise<void> {
    await this.current(name).stop();
  }

  /** Start the named service again on the same port, data directory and token. */
  async start(name: 'redis' | 'ferretdb' | 'kernelgateway' | 'service'): Promise<void> {
    const info = this.stack.info;
    let proc: IManagedProcess | null;
    if (name === 'redis') proc = (await startRedis({ dir: info.run_dir, port: portOf(info.redis_url) })).process;
    else if (name === 'ferretdb') proc = (await startMongo({ dir: info.run_dir, port: portOf(info.mongo_url) })).process;
    else if (name === 'kernelgateway') {
      const gateway = await startGateway({
        dir: path.join(info.run_dir, 'gateway'), port: portOf(info.gateway_url), token: info.gateway_token, kernelLaunch: info.kernel_launch
      });
      if (gateway.forkServer) this.procs.push(gateway.forkServer);
      proc = gateway.process;
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
    if (proc) this.procs.push(proc);
  }

  async stopAll(): Promise<void> {
    for (const p of [...this.procs].reverse()) await p.stop();
  }
}

/** The stack's own process list plus a test-local list, for kill -9 by Celery hostname. */
export function workerPid(stack: IRunningStack, hostname: string): number {
  const name = hostname.split('@')[0];
  const pid = stack.info.pids[name];
  if (!pid) throw new Error(`no worker process named ${name} (hostname ${hostname})`);
  return pid;
}

export interface ITaskWithRuns {
  name: string;
  job_id: number;
  state: string;
  run_status: string;
  job_runs: IJobRun[];
}

/** GET that returns null instead of throwing while the API or its databases are down. */
async function tryCall<T>(api: TestApi, route: string): Promise<T | null> {
  try {
    const res = await api.call<T>('GET', route);
    return res.status === 200 ? res.body : null;
  } catch {
    return null;
  }
}

export async function tasksOf(api: TestApi, job: string, group: string): Promise<ITaskWithRuns[] | null> {
  const body = await tryCall<{ tasks: ITaskWithRuns[] }>(api, `/api/jobs/${encodeURIComponent(job)}/tasks?task_group=${group}`);
  return body?.tasks ?? null;
}

/** Polls (riding out outages) until `predicate` holds; returns the last task list. */
export async function waitTasks(
  api: TestApi, job: string, group: string, predicate: (tasks: ITaskWithRuns[]) => boolean, timeoutMs = 120000
): Promise<ITaskWithRuns[]> {
  const deadline = Date.now() + timeoutMs;
  let last: ITaskWithRuns[] | null = null;
  for (;;) {
    const tasks = await tasksOf(api, job, group);
    if (tasks) last = tasks;
    if (tasks && tasks.length > 0 && predicate(tasks)) return tasks;
    if (Date.now() > deadline) {
      throw new Error(`timed out; tasks: ${JSON.stringify(last?.map((t) => [t.job_id, t.state, t.run_status]))}`);
    }
    await sleep(300);
  }
}

export const allFinished = (tasks: ITaskWithRuns[]): boolean => tasks.every((t) => isFinalState(t.state));

/** Waits until every task of the group is finished; a task never finished counts as lost. */
export async function settle(api: TestApi, job: string, group: string, timeoutMs = 60000): Promise<ITaskWithRuns[]> {
  try {
    return await waitTasks(api, job, group, allFinished, timeoutMs);
  } catch {
    return (await tasksOf(api, job, group)) ?? [];
  }
}

export interface IFaultMeasure {
  fault: string;
  tasks: number;
  lost: number;
  duplicateOk: number;
  recoverSeconds: number;
}

/** Counts lost tasks (unfinished, or neither OK nor ERROR) and duplicate OK runs. */
export function measure(fault: string, count: number, tasks: ITaskWithRuns[], faultAt: number): IFaultMeasure {
  const finished = tasks.filter((t) => isFinalState(t.state) && (t.run_status === 'OK' || t.run_status === 'ERROR'));
  const duplicateOk = tasks.reduce((n, t) => n + Math.max(0, t.job_runs.filter((r) => r.status === 'OK').length - 1), 0);
  return { fault, tasks: count, lost: count - finished.length, duplicateOk, recoverSeconds: Math.round((Date.now() - faultAt) / 100) / 10 };
}

/** Appends a line to the fault report (`NBGRID_FAULTS_REPORT`, read by scripts/faults/run.ts). */
export function report(m: IFaultMeasure): void {
  const file = process.env.NBGRID_FAULTS_REPORT ?? path.join(os.tmpdir(), 'nbgrid-faults.jsonl');
  fs.appendFileSync(file, JSON.stringify(m) + '\n');
}

/** Waits until some task of the group is STARTED; returns it. */
export async function waitStarted(api: TestApi, job: string, group: string, timeoutMs = 60000): Promise<ITaskWithRuns & { worker?: string }> {
  const tasks = await waitTasks(api, job, group, (ts) => ts.some((t) => t.state === 'STARTED'), timeoutMs);
  return tasks.find((t) => t.state === 'STARTED') as ITaskWithRuns & { worker?: string };
}
