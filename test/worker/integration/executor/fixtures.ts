/** The executor's fixture notebooks and nbclient's execution of them, for comparison. */
import { execFile } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { promisify } from 'util';
import type { INotebook, INotebookOutput } from '../../../../worker/src/executor';
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
    if (cell.outputs) {
      cell.outputs = joinStreamChunks(cell.outputs);
    }
  }
  return copy;
}

/**
 * `print(x)` writes `x` and `"\n"` separately, and ipykernel may flush between them when the
 * machine is busy: the same text then arrives in one stream message or two, for nbclient as for
 * nbgrid. Adjacent outputs of the same stream are joined before comparing, so the comparison is
 * about what was printed, not about the kernel's flush timing.
 */
function joinStreamChunks(outputs: INotebookOutput[]): INotebookOutput[] {
  const joined: INotebookOutput[] = [];
  for (const output of outputs) {
    const last = joined[joined.length - 1];
    if (output.output_type === 'stream' && last?.output_type === 'stream' && last.name === output.name) {
      last.text = streamText(last.text) + streamText(output.text);
    } else {
      joined.push({ ...output });
    }
  }
  return joined;
}

const streamText = (text: unknown): string => (Array.isArray(text) ? text.join('') : String(text));
