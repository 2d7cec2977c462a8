/**
 * `nbgrid up` on a stack that is already described: restart, on the same ports, data and tokens,
 * the processes of `stack.json` that died (Redis, FerretDB, the Kernel Gateway, the API service,
 * workers), and keep the ones that run. The clients' `stack.json` stays valid.
 */
import * as path from 'path';
import { configEnv } from '../config';
import { FORK_SERVER_NAME, startGateway } from './gateway';
import { isPidAlive, spawnManaged, stopPid } from './managed-process';
import { startMongo } from './mongo';
import { nbgridCli } from './paths';
import { startRedis } from './redis';
import { spawnWorker, waitHealthy } from './stack';
import { type IStackInfo, writeStack } from './stack-file';

export interface IRepairResult {
  /** Processes started again (by name). */
  restarted: string[];
  /** Processes that were running and were left alone. */
  kept: string[];
}

const portOf = (url: string): number => Number(new URL(url).port);

/**
 * Restarts what is down, in dependency order (Redis, MongoDB, the gateway, the API service, then
 * workers), and writes the new process ids to `stack.json`.
 * @throws when a process does not come back (the message names it; what did is kept)
 */
export async function repairStack(home: string, info: IStackInfo, log: (line: string) => void = () => undefined): Promise<IRepairResult> {
  const restarted: string[] = [];
  const kept: string[] = [];
  const alive = (name: string): boolean => info.pids[name] !== undefined && isPidAlive(info.pids[name]);
  const note = (name: string, pid: number): void => {
    info.pids[name] = pid;
    restarted.push(name);
    writeStack(home, info);
  };
  const dir = info.run_dir;
  try {
    if (info.pids.redis !== undefined) {
      if (alive('redis')) kept.push('redis');
      else {
        const redis = await startRedis({ dir, port: portOf(info.redis_url), detached: true, host: info.host });
        note('redis', redis.process!.pid);
        log(`redis      ${info.redis_url} (restarted)`);
      }
    }
    if (info.pids.ferretdb !== undefined) {
      if (alive('ferretdb')) kept.push('ferretdb');
      else {
        const env = { ...process.env, NBGRID_MONGO_URL: '' };
        const mongo = await startMongo({ dir, port: portOf(info.mongo_url), detached: true, host: info.host, env });
        note('ferretdb', mongo.process!.pid);
        log(`mongodb    ${info.mongo_url} (restarted)`);
      }
    }
    if (info.pids.kernelgateway !== undefined) {
      const fork = info.pids[FORK_SERVER_NAME] !== undefined;
      if (alive('kernelgateway') && (!fork || alive(FORK_SERVER_NAME))) kept.push('kernelgateway', ...(fork ? [FORK_SERVER_NAME] : []));
      else {
        // The gateway and its fork server go together: stop the survivor of the pair first.
        for (const name of ['kernelgateway', FORK_SERVER_NAME]) if (alive(name)) await stopPid(info.pids[name]);
        const gateway = await startGateway({
          dir: path.join(dir, 'gateway'), port: portOf(info.gateway_url), token: info.gateway_token, detached: true,
          // a stack.json without kernel_launch is from when spawn was the default
          kernelLaunch: info.kernel_launch ?? (fork ? 'fork' : 'spawn'), preload: info.preload, log
        });
        // the mode may differ from the first start's (a fork server that no longer starts)
        info.kernel_launch = gateway.kernelLaunch;
        note('kernelgateway', gateway.process!.pid);
        if (gateway.forkServer) note(FORK_SERVER_NAME, gateway.forkServer.pid);
        else delete info.pids[FORK_SERVER_NAME];
        log(`gateway    ${info.gateway_url} (restarted)`);
      }
    }
    const env = {
      ...process.env,
      ...configEnv({
        redisUrl: info.redis_url, mongoUrl: info.mongo_url, token: info.token, gatewayUrl: info.gateway_url,
        gatewayToken: info.gateway_token, port: portOf(info.api_url), visibilityTimeout: info.visibility_timeout
      })
    };
    if (info.pids.service !== undefined) {
      if (alive('service')) kept.push('service');
      else {
        const service = spawnManaged({ name: 'service', command: process.execPath, args: [nbgridCli, 'serve'], dir, env, detached: true });
        note('service', service.pid);
        await waitHealthy(info.api_url, service);
        log(`service    ${info.api_url} (restarted)`);
      }
    }
    for (const name of Object.keys(info.pids).filter((n) => n.startsWith('worker')).sort()) {
      if (alive(name)) {
        kept.push(name);
        continue;
      }
      const how = info.workers?.[name] ?? { labels: ['default'] };
      note(name, spawnWorker(name, how, dir, env, true).pid);
      log(`${name.padEnd(10)} ${how.labels.join(',')} (restarted)`);
    }
  } finally {
    writeStack(home, info);
  }
  return { restarted, kept };
}
