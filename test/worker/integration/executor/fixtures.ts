/** The executor's fixture notebooks and nbclient's execution of them, for comparison. */
import { execFile } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { promisify } from 'util';
import type { INotebook } from '../../../../worker/src/executor';
import { REPO, VENV_PYTHON } from './gateway';

export const FIXTURES = join(REPO, 'test/fixtures/notebooks');

export function loadFixture(name: string): INotebook {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.ipynb`), 'utf-8')) as INotebook;
}

/** Executes fixtures with nbclient (`run_nbclient.py`); resolves `{name: executed notebook}`. */
export async function runNbclient(names: string[]): Promise<Record<string, INotebook>> {
  const { stdout } = await promisify(execFile)(
    VENV_PYTHON,
    [join(FIXTURES, 'run_nbclient.py'), ...names.map(name => join(FIXTURES, `${name}.ipynb`))],
    { maxBuffer: 64 * 1024 * 1024, cwd: FIXTURES }
  );
  return JSON.parse(stdout) as Record<string, INotebook>;
}

/**
 * The notebook without what legitimately differs between two runs: the timings in
 * `metadata.execution`. Sources are joined (nbformat on disk splits them into lines).
 */
export function withoutTimings(notebook: INotebook): unknown {
  const copy = structuredClone(notebook);
  for (const cell of copy.cells) {
    delete cell.metadata.execution;
    if (Array.isArray(cell.source)) {
      cell.source = cell.source.join('');
    }
  }
  return copy;
}
