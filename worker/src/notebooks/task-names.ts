/**
 * Names of task and result notebooks (DESIGN.md, "Task notebooks") and the rules every notebook
 * name follows (docs/api.md, "Names").
 */
import { randomBytes } from 'node:crypto';
import { InvalidInputError } from '../domain/errors';

/** Longest accepted notebook name. @defaultValue 512 */
export const MAX_NAME_LENGTH = 512;

/** Prefix of task notebook names. */
export const TASKS_PREFIX = 'tasks/';
/** Prefix of result notebook names. */
export const RESULTS_PREFIX = 'results/';

// `s`: a notebook name may contain U+2028/U+2029 (they are not control characters), and `.`
// without it stops at line terminators, so such a task name would not parse.
const TASK_NAME_RE = /^tasks\/(.+)\/([0-9a-f]{8})-(\d+)$/s;

/**
 * Check a notebook name: non-empty, at most 512 characters, no leading `/`, no `\`, no control
 * characters, no `.` or `..` path segments and no empty segments.
 * @throws InvalidInputError saying which rule the name breaks
 */
export function validateName(name: unknown, what = 'notebook name'): string {
  if (typeof name !== 'string') throw new InvalidInputError(`${what} must be a string`);
  if (name.length === 0) throw new InvalidInputError(`${what} must not be empty`);
  if (name.length > MAX_NAME_LENGTH) {
    throw new InvalidInputError(`${what} is ${name.length} characters long; at most ${MAX_NAME_LENGTH} are allowed`);
  }
  if (name.startsWith('/')) throw new InvalidInputError(`${what} '${name}' must be relative: remove the leading '/'`);
  if (name.includes('\\')) throw new InvalidInputError(`${what} '${name}' must not contain '\\'; use '/' between folders`);
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u001f\u007f-\u009f]/.exec(name);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    throw new InvalidInputError(`${what} must not contain control characters (found U+${code.toUpperCase()} at position ${control.index})`);
  }
  for (const segment of name.split('/')) {
    if (segment === '..' || segment === '.') {
      throw new InvalidInputError(`${what} '${name}' must not contain a '${segment}' path segment`);
    }
    if (segment === '') throw new InvalidInputError(`${what} '${name}' must not contain an empty path segment ('//' or a trailing '/')`);
  }
  return name;
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
