import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { envVar } from '../config';

/** The repository root: worker/src/stack (ts) or worker/dist/stack (js) → three levels up. */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** Executables the project installs (scripts/bootstrap.sh). */
export const venvBin = (name: string): string => path.join(repoRoot, '.venv', 'bin', name);
export const ferretdbBin = path.join(repoRoot, '.bin', 'ferretdb');
export const nbgridCli = path.join(repoRoot, 'worker', 'bin', 'nbgrid.js');

/** Name of the file that describes a running stack (`api_url`, `token`, ...). */
export const STACK_FILE = 'stack.json';

/** Name of the folder holding a stack file: `~/.nbgrid`, or a project's `.nbgrid`. */
export const LOCAL_DIR = '.nbgrid';

/**
 * The user's home directory: `HOME` of `env`, else the operating system's answer. Taken from `env`
 * first so tests (and the Python client, which does the same) can point it at a temporary folder.
 */
export function userHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME || os.homedir();
}

/** `~/.nbgrid`: the per-user home of `nbgrid up`, which the clients look at from any directory. */
export function userNbgridDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(userHome(env), LOCAL_DIR);
}

/** `NBGRID_HOME` with a leading `~` expanded, made absolute; `undefined` when unset or empty. */
export function explicitHome(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const home = envVar('NBGRID_HOME', env);
  if (!home) return undefined;
  const expanded = home === '~' || home.startsWith('~/') ? path.join(userHome(env), home.slice(1)) : home;
  return path.resolve(expanded);
}

/**
 * Where `nbgrid up` keeps its run directory and `stack.json`: `NBGRID_HOME`, else `~/.nbgrid`.
 * The clients' rule (`discoverService`) finds a stack file written there from any working directory.
 */
export function nbgridHome(env: NodeJS.ProcessEnv = process.env): string {
  return explicitHome(env) ?? userNbgridDir(env);
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Like `ensureDir`, but folders it creates are private (0700): they hold a token. */
export function ensurePrivateDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
