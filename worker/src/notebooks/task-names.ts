/**
 * Names of task and result notebooks (DESIGN.md, "Task notebooks") and the rules every notebook
 * name follows (docs/api.md, "Names").
 */
import { randomBytes } from 'node:crypto';
import { assertValidName } from '../domain/names';

export { MAX_NAME_LENGTH } from '../domain/names';

/** Prefix of task notebook names. */
export const TASKS_PREFIX = 'tasks/';
/** Prefix of result notebook names. */
export const RESULTS_PREFIX = 'results/';

// `s`: a notebook name may contain U+2028/U+2029 (they are not control characters), and `.`
// without it stops at line terminators, so such a task name would not parse.
const TASK_NAME_RE = /^tasks\/(.+)\/([0-9a-f]{8})-(\d+)$/s;

/**
 * Check a notebook name: the one rule of `domain/names.ts` (non-empty, at most 512 characters,
 * relative, no `\`, no control characters, no `.`, `..` or empty segments), with its message.
 * @throws InvalidInputError saying which rule the name breaks
 */
export function validateName(name: unknown, what = 'notebook name'): string {
  return assertValidName(name, what);
}

/** A new task group id: 8 lowercase hex digits, like omega|ml's. */
export function newTaskGroup(): string {
  return randomBytes(4).toString('hex');
}

/** `tasks/<nb>/<group>-<i>`: the task's name (no `.ipynb`), also `job['task_name']` in the notebook. */
export function taskName(nb: string, group: string, i: number): string {
  return `${TASKS_PREFIX}${nb}/${group}-${i}`;
}

/** `tasks/<nb>/<group>-<i>.ipynb`: the rendered task notebook's path. */
export function taskNotebookPath(name: string): string {
  return `${stripIpynb(name)}.ipynb`;
}

/** `results/tasks/<nb>/<group>-<i>.ipynb_<ISO time>.ipynb`: one run's result notebook. */
export function resultName(name: string, time: Date | string = new Date()): string {
  const iso = typeof time === 'string' ? time : time.toISOString();
  return `${RESULTS_PREFIX}${taskNotebookPath(name)}_${iso}.ipynb`;
}

/** `name` without a trailing `.ipynb`. */
export function stripIpynb(name: string): string {
  return name.endsWith('.ipynb') ? name.slice(0, -'.ipynb'.length) : name;
}

/** Parts of a task name or task notebook path, or null when `name` is not one. */
export function parseTaskName(name: string): { job: string; task_group: string; job_id: number; name: string } | null {
  const m = TASK_NAME_RE.exec(stripIpynb(name));
  if (!m) return null;
  return { job: m[1], task_group: m[2], job_id: Number(m[3]), name: stripIpynb(name) };
}
