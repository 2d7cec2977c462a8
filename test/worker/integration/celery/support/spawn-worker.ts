/**
 * Starts `worker-process.ts` (a real worker in a child process) against `redisUrl`, with `env`
 * configuring it (QUEUES, HOSTNAME_NB, VISIBILITY, ...); `ready` resolves once it consumes and
 * rejects if it exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export function spawnWorker(redisUrl: string, env: Record<string, string>): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['-r', path.join(__dirname, '..', '..', '..', '..', '..', 'scripts', 'ts-hook.js'), path.join(__dirname, 'worker-process.ts')], {
    env: { ...process.env, REDIS_URL: redisUrl, ...env },
    stdio: ['ignore', 'pipe', 'inherit']
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
  return { child, ready };
}
