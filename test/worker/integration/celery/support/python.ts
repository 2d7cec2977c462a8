/** Running the Python Celery peers in test/peers against a test Redis. */
import { execFile, spawn, type ChildProcess } from 'child_process';
import * as path from 'path';

export const repo = path.resolve(__dirname, '..', '..', '..', '..', '..');
export const peersDir = path.join(repo, 'test', 'peers');
export const venvBin = path.join(repo, '.venv', 'bin');

export function peerEnv(redisUrl: string): NodeJS.ProcessEnv {
  return { ...process.env, NBGRID_TEST_REDIS: redisUrl, PYTHONPATH: peersDir, PYTHONDONTWRITEBYTECODE: '1' };
}

/** Run a Python command in test/peers; resolves with stdout. */
export function runPython(redisUrl: string, command: string, args: string[], timeoutMs = 60000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(path.join(venvBin, command), args, { cwd: peersDir, env: peerEnv(redisUrl), timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A long-running Python process (Celery worker, event receiver) with its output collected. */
export interface IPythonProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when `pattern` appears in stdout/stderr. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function spawnPython(redisUrl: string, command: string, args: string[]): IPythonProcess {
  const child = spawn(path.join(venvBin, command), args, { cwd: peersDir, env: peerEnv(redisUrl), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return {
    child,
    output: () => out,
    waitForOutput: async (pattern, timeoutMs = 30000) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (child.exitCode !== null) throw new Error(`${command} exited (${child.exitCode}) before printing ${pattern}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`${command} did not print ${pattern} within ${timeoutMs} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    }
  };
}
