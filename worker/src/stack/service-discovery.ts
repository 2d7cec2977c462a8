/**
 * The one rule by which every client finds the running nbgrid service (the CLI here; the Python
 * client and the Jupyter server extension in `nbgrid/client/config.py`, which must stay identical:
 * both are tested against `test/fixtures/stack-discovery-cases.json`). First match wins:
 *
 * 1. `NBGRID_URL` (with `NBGRID_TOKEN`): a service started elsewhere;
 * 2. `$NBGRID_HOME/stack.json` when `NBGRID_HOME` is set (and only that file);
 * 3. the nearest `.nbgrid/stack.json` in the start directory (the working directory) or a parent;
 * 4. `~/.nbgrid/stack.json`, where `nbgrid up` writes when `NBGRID_HOME` is not set.
 *
 * `NBGRID_TOKEN`, when set, also overrides the token of a stack file. A stack file that cannot be
 * read or has no `api_url` is an error naming it, not skipped: a later candidate would be a
 * different stack.
 */
import * as fs from 'fs';
import * as path from 'path';
import { envVar } from '../config';
import { explicitHome, LOCAL_DIR, STACK_FILE, userNbgridDir } from './paths';
import { ServiceNotConfiguredError } from './service-not-configured-error';

/** Where the service is, the token it wants (`null`: send none) and where both came from. */
export interface IServiceEndpoint {
  url: string;
  token: string | null;
  /** `NBGRID_URL` or the stack file's path, with ` (token from NBGRID_TOKEN)` when that applies. */
  source: string;
}

const isFile = (file: string): boolean => {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

/** `dir` with symlinks resolved, as Python's `Path.resolve()` does (so both search the same parents). */
function realpath(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

/** The nearest `.nbgrid/stack.json` in `start` or one of its parents, or `null`. */
export function findStackFileUpwards(start: string): string | null {
  let dir = realpath(start);
  for (;;) {
    const candidate = path.join(dir, LOCAL_DIR, STACK_FILE);
    if (isFile(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * The stack file steps 2-4 of the rule choose, or `null` when there is none.
 * @throws ServiceNotConfiguredError when `NBGRID_HOME` is set but holds no stack file
 */
export function findStackFile(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string | null {
  const home = explicitHome(env);
  if (home) {
    const file = path.join(home, STACK_FILE);
    if (!isFile(file)) {
      throw new ServiceNotConfiguredError(
        `NBGRID_HOME is ${env.NBGRID_HOME} but ${file} does not exist: start the stack with ` +
          `\`NBGRID_HOME=${env.NBGRID_HOME} nbgrid up\`, or unset NBGRID_HOME, or set NBGRID_URL`
      );
    }
    return file;
  }
  const nearest = findStackFileUpwards(cwd);
  if (nearest) return nearest;
  const user = path.join(userNbgridDir(env), STACK_FILE);
  return isFile(user) ? user : null;
}

function readEndpoint(file: string): IServiceEndpoint {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ServiceNotConfiguredError(
      `cannot read ${file}: ${(err as Error).message}; run \`nbgrid up\` again to rewrite it, or set NBGRID_URL and NBGRID_TOKEN`
    );
  }
  const record = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  const url = record.api_url;
  if (typeof url !== 'string' || !url) {
    throw new ServiceNotConfiguredError(`${file} has no "api_url"; run \`nbgrid up\` again to rewrite it, or set NBGRID_URL and NBGRID_TOKEN`);
  }
  const token = typeof record.token === 'string' && record.token ? record.token : null;
  return { url: url.replace(/\/+$/, ''), token, source: file };
}

/**
 * Applies the rule of this module.
 * @param cwd - where the upward search starts (a kernel's or the CLI's working directory)
 * @throws ServiceNotConfiguredError naming the ways to fix it when nothing is found
 */
export function discoverService(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): IServiceEndpoint {
  const token = envVar('NBGRID_TOKEN', env) ?? null;
  const url = envVar('NBGRID_URL', env);
  if (url) return { url: url.replace(/\/+$/, ''), token, source: 'NBGRID_URL' };
  const file = findStackFile(env, cwd);
  if (file === null) {
    throw new ServiceNotConfiguredError(
      `no nbgrid service configured: start one with \`make demo\` or \`nbgrid up\` (it writes ${path.join(userNbgridDir(env), STACK_FILE)}), ` +
        'or set NBGRID_URL and NBGRID_TOKEN'
    );
  }
  const endpoint = readEndpoint(file);
  return token ? { ...endpoint, token, source: `${endpoint.source} (token from NBGRID_TOKEN)` } : endpoint;
}
