import * as fs from 'fs';
import * as path from 'path';
import { MongoClient } from 'mongodb';
import { explicitEnv } from '../config';
import { freePort } from './free-port';
import { spawnManaged, tailLog } from './managed-process';
import { ferretdbBin } from './paths';
import { IServiceOptions, IStartedService } from './redis';
import { waitFor } from './wait-for';

/** True when a MongoDB wire-protocol server answers `ping` at `url`. */
export async function pingMongo(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * MongoDB for nbgrid: the server named by `NBGRID_MONGO_URL` when set (nothing is started or
 * stopped then), else FerretDB v1 on SQLite files under `<dir>/ferretdb`.
 */
export async function startMongo(options: IServiceOptions & { env?: NodeJS.ProcessEnv }): Promise<IStartedService> {
  const external = explicitEnv(options.env ?? process.env).NBGRID_MONGO_URL;
  if (external) {
    await waitFor(`MongoDB at NBGRID_MONGO_URL`, () => pingMongo(external), { timeoutMs: 15000 });
    return { url: external, process: null, stop: async () => undefined };
  }
  if (!fs.existsSync(ferretdbBin)) {
    throw new Error(`FerretDB is not installed at ${ferretdbBin}: run scripts/bootstrap.sh (make setup)`);
  }
  const port = options.port ?? (await freePort());
  const dataDir = path.join(options.dir, 'ferretdb');
  // Every notebook, parameter and result is in these SQLite files: private to the user (0700),
  // whatever the umask and whatever mode an earlier version left.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dataDir, 0o700);
  const proc = spawnManaged({
    name: 'ferretdb',
    command: ferretdbBin,
    args: [
      '--handler=sqlite',
      // synchronous=NORMAL (SQLite's advice for WAL): a commit is not fsynced, the checkpoint is;
      // a crash of FerretDB or nbgrid loses nothing, a power cut may lose the last commits (not
      // corrupt the files). Every task update is its own commit: 35 % less FerretDB CPU and 25 %
      // less time for bulk updates (bench/README.md). A production MongoDB is configured apart.
      `--sqlite-url=file:${dataDir}/?_pragma=synchronous(normal)`,
      `--listen-addr=${options.host ?? '127.0.0.1'}:${port}`,
      `--state-dir=${dataDir}`,
      // The debug listener defaults to port 8088: two instances would collide.
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=warn'
    ],
    dir: options.dir,
    detached: options.detached
  });
  // FerretDB v1 listens on one address: with `host` set, local clients use it too.
  const url = `mongodb://${options.host ?? '127.0.0.1'}:${port}/`;
  try {
    await waitFor('FerretDB', () => pingMongo(url), { timeoutMs: 30000, intervalMs: 200, isAlive: proc.isAlive });
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\n${tailLog(proc.logFile)}`);
  }
  return { url, process: proc, stop: () => proc.stop() };
}
