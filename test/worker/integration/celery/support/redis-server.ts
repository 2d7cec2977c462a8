/** A throwaway redis-server on a free port in a temp dir, for one test file. */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Redis from 'ioredis';
import { freePort } from '../../../../../worker/src/stack/free-port';

export interface ITestRedis {
  url: string;
  port: number;
  dir: string;
  client: Redis;
  stop(): Promise<void>;
}

export async function startTestRedis(): Promise<ITestRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-celery-'));
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore'
  });
  const url = `redis://127.0.0.1:${port}/0`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null });
  const deadline = Date.now() + 10000;
  for (;;) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      client.disconnect();
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    port,
    dir,
    client,
    stop: async () => {
      client.disconnect();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}
