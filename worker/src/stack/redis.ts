import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
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

/**
 * One PING over a raw socket (after `AUTH` when a password is given): enough to know Redis answers,
 * with no client library involved. False when it does not answer, or answers with an error
 * (`NOAUTH` without the password).
 */
export function pingRedis(port: number, host = '127.0.0.1', password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect({ port, host }, () => {
      const auth = password === undefined ? '' : `*2\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(password)}\r\n${password}\r\n`;
      socket.write(auth + 'PING\r\n');
    });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('data', (data) => {
      answer += data.toString();
      if (answer.startsWith('-')) done(false);
      else if (answer.includes('+PONG')) done(true);
      else if (answer.includes('\r\n-')) done(false);
    });
    socket.on('error', () => resolve(false));
  });
}

/** A Redis URL with its password replaced by `***`, for logs and terminals. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** Name of the private (0600) Redis configuration file in the run directory; it holds the password. */
export const REDIS_CONFIG_FILE = 'redis.conf';

/** The `requirepass` of an earlier start in this directory, so a restart keeps its clients' URL. */
function earlierPassword(configFile: string): string | undefined {
  try {
    return /^requirepass (\S+)$/m.exec(fs.readFileSync(configFile, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** Options of {@link startRedis}. */
export interface IRedisOptions extends IServiceOptions {
  /**
   * Password clients must give (`requirepass`); it is in the returned URL. It goes into a 0600
   * configuration file, never on the command line, where every local user could read it.
   * @defaultValue the one of an earlier start in `dir`, else 24 random bytes as hex
   */
  password?: string;
}

/**
 * Starts Debian's `redis-server` on 127.0.0.1 with an append-only file in `dir`: queued Celery
 * messages and the unacked index survive a restart on the same `dir` (no RDB snapshots). Clients
 * need the password (`requirepass`), which the returned URL carries (`redis://:<password>@...`).
 */
export async function startRedis(options: IRedisOptions): Promise<IStartedService> {
  const port = options.port ?? (await freePort());
  const bind = options.host && options.host !== '127.0.0.1' ? ['127.0.0.1', options.host] : ['127.0.0.1'];
  fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const configFile = path.join(options.dir, REDIS_CONFIG_FILE);
  const password = options.password ?? earlierPassword(configFile) ?? randomBytes(24).toString('hex');
  fs.writeFileSync(configFile, `# written by nbgrid: the password of this stack's Redis\nrequirepass ${password}\n`, { mode: 0o600 });
  fs.chmodSync(configFile, 0o600); // an earlier file may have had another mode
  const proc = spawnManaged({
    name: 'redis',
    command: 'redis-server',
    args: [
      configFile,
      '--port', String(port), '--bind', ...bind, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', options.dir,
      // Listening beyond loopback is what `host` asks for; protected mode would refuse those clients.
      ...(bind.length > 1 ? ['--protected-mode', 'no'] : [])
    ],
    dir: options.dir,
    detached: options.detached
  });
  try {
    await waitFor('redis-server', () => pingRedis(port, '127.0.0.1', password), { timeoutMs: 15000, isAlive: proc.isAlive });
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\n${tailLog(proc.logFile)}`);
  }
  return { url: `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}/0`, process: proc, stop: () => proc.stop() };
}
