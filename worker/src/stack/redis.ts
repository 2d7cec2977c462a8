import * as net from 'net';
import { freePort } from './free-port';
import { IManagedProcess, spawnManaged, tailLog } from './managed-process';
import { waitFor } from './wait-for';

export interface IStartedService {
  url: string;
  process: IManagedProcess | null;
  stop(): Promise<void>;
}

export interface IServiceOptions {
  /** Run directory for data files and the log. */
  dir: string;
  /** @defaultValue a free port */
  port?: number;
  /** @defaultValue false — see ISpawnOptions.detached */
  detached?: boolean;
  /**
   * An address to listen on besides 127.0.0.1 (workers on other hosts reach the service there).
   * @defaultValue none: loopback only
   */
  host?: string;
}

/** One PING over a raw socket: enough to know Redis answers, with no client library involved. */
export function pingRedis(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host }, () => socket.write('PING\r\n'));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Starts Debian's `redis-server` on 127.0.0.1 with an append-only file in `dir`: queued Celery
 * messages and the unacked index survive a restart on the same `dir` (no RDB snapshots).
 */
export async function startRedis(options: IServiceOptions): Promise<IStartedService> {
  const port = options.port ?? (await freePort());
  const bind = options.host && options.host !== '127.0.0.1' ? ['127.0.0.1', options.host] : ['127.0.0.1'];
  const proc = spawnManaged({
    name: 'redis',
    command: 'redis-server',
    args: [
      '--port', String(port), '--bind', ...bind, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', options.dir,
      // Listening beyond loopback is what `host` asks for; protected mode would refuse those clients.
      ...(bind.length > 1 ? ['--protected-mode', 'no'] : [])
    ],
    dir: options.dir,
    detached: options.detached
  });
  try {
    await waitFor('redis-server', () => pingRedis(port), { timeoutMs: 15000, isAlive: proc.isAlive });
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\n${tailLog(proc.logFile)}`);
  }
  return { url: `redis://127.0.0.1:${port}/0`, process: proc, stop: () => proc.stop() };
}
