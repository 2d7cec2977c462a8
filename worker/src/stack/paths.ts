import * as fs from 'fs';
import * as path from 'path';

/** The repository root: worker/src/stack (ts) or worker/dist/stack (js) → three levels up. */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** Executables the project installs (scripts/bootstrap.sh). */
export const venvBin = (name: string): string => path.join(repoRoot, '.venv', 'bin', name);
export const ferretdbBin = path.join(repoRoot, '.bin', 'ferretdb');
export const nbgridCli = path.join(repoRoot, 'worker', 'bin', 'nbgrid.js');

/** Where `nbgrid up` keeps its run directory and `stack.json`: `NBGRID_HOME`, else `<repo>/.nbgrid`. */
export function nbgridHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.NBGRID_HOME || path.join(repoRoot, '.nbgrid'));
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
