/**
 * `stack.json`, the file `nbgrid up` writes and every client reads (the CLI, the Python client, the
 * Jupyter server extension): private to its user (0600, in a 0700 folder), since it holds a token.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ensurePrivateDir, STACK_FILE } from './paths';

/** `stack.json`: how clients (CLI, Python `om`, JupyterLab) reach a running stack. */
export interface IStackInfo {
  api_url: string;
  token: string;
  redis_url: string;
  mongo_url: string;
  gateway_url: string;
  gateway_token: string;
  run_dir: string;
  /** Process ids by service name, for `nbgrid down`. */
  pids: Record<string, number>;
  /** How each worker was started (by process name), so that `nbgrid up` can restart one that died. */
  workers?: Record<string, { labels: string[]; concurrency?: number }>;
  /**
   * How the gateway launches kernels (`nbgrid up --kernel-launch`; `spawn` when the fork server
   * could not start). Absent in files of versions whose default was spawn: read as `spawn` unless
   * `pids` names a fork server.
   */
  kernel_launch?: 'spawn' | 'fork';
  /** Modules the kernel fork server preloaded (`nbgrid up --preload`). */
  preload?: string[];
  /** The workers' visibility timeout in seconds, when `up` set one. */
  visibility_timeout?: number;
  /** The extra address Redis and MongoDB listen on (`up` with a host), if any. */
  host?: string;
}

export const stackFile = (home: string): string => path.join(home, STACK_FILE);

export function readStack(home: string): IStackInfo | null {
  try {
    return JSON.parse(fs.readFileSync(stackFile(home), 'utf8')) as IStackInfo;
  } catch {
    return null;
  }
}

/**
 * Writes `<home>/stack.json` with mode 0600 (its folder 0700 when created here). Written to a
 * temporary file and renamed, so a client reading it meanwhile (the server extension reads it on
 * every request) sees the old or the new file, never half of one.
 */
export function writeStack(home: string, info: IStackInfo): void {
  ensurePrivateDir(home);
  const file = stackFile(home);
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(partial, 0o600); // a leftover partial file may have had another mode
  fs.renameSync(partial, file);
}

export function removeStack(home: string): void {
  fs.rmSync(stackFile(home), { force: true });
}
