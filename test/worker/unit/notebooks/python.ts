/** Run a Python snippet with the project's virtualenv (the reference implementation in tests). */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const PYTHON = resolve(__dirname, '../../../../.venv/bin/python');

/** Run `code` with `input` on stdin; returns stdout. Throws with stderr on failure. */
export function runPython(code: string, input = ''): string {
  const r = spawnSync(PYTHON, ['-c', code], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
