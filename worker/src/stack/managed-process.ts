import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** A service process started by the stack: its own process group, output in `<dir>/<name>.log`. */
export interface IManagedProcess {
  name: string;
  pid: number;
  logFile: string;
  isAlive(): boolean;
  stop(): Promise<void>;
}

export interface ISpawnOptions {
  name: string;
  command: string;
  args: string[];
  dir: string;
  env?: NodeJS.ProcessEnv;
  /** Working directory of the process. @defaultValue `dir` (where its log goes) */
  cwd?: string;
  /**
   * Keep running after this Node process exits (`nbgrid up` returns while the stack runs).
   * @defaultValue false
   */
  detached?: boolean;
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a process group: SIGTERM, then SIGKILL after `graceMs`. Idempotent; resolves once the
 * leader is gone.
 */
export async function stopPid(pid: number, graceMs = 5000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (!isPidAlive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isPidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isPidAlive(pid)) {
    signal('SIGKILL');
    while (isPidAlive(pid)) await new Promise((r) => setTimeout(r, 20));
  }
}

export function spawnManaged(options: ISpawnOptions): IManagedProcess {
  fs.mkdirSync(options.dir, { recursive: true });
  const logFile = path.join(options.dir, `${options.name}.log`);
  const out = fs.openSync(logFile, 'a');
  // Always a new process group, so stop() takes the service's children (kernels) with it.
  const child = spawn(options.command, options.args, {
    cwd: options.cwd ?? options.dir,
    env: options.env ?? process.env,
    stdio: ['ignore', out, out],
    detached: true
  });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${options.name} (${options.command})`);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  child.on('error', () => {
    exited = true;
  });
  if (options.detached) child.unref();
  const pid = child.pid;
  return {
    name: options.name,
    pid,
    logFile,
    isAlive: () => !exited && isPidAlive(pid),
    stop: () => stopPid(pid)
  };
}

/** The last lines of a log, to put in an error message. */
export function tailLog(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
