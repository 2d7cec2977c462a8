/**
 * The rules for the names a person gives nbgrid: notebook and job names, worker labels and task
 * group ids. Each rule is written once, here: the route schemas use its pattern, the job service,
 * the notebook helpers and the CLI its check, and both give the same message, so a name is never
 * accepted by one door and refused by the next (docs/api.md, "Names").
 */
import { InvalidInputError } from './errors';

/** Longest name accepted, in Unicode code points (what JSON Schema's `maxLength` counts). */
export const MAX_NAME_LENGTH = 512;

/** C0 and C1 control characters and DEL, as the inside of a regular expression class. */
const CONTROL_CLASS = '\\u0000-\\u001f\\u007f-\\u009f';

/**
 * The name rules as one regular expression (used with the `u` flag): relative, no `\`, no
 * control characters, no empty, `.` or `..` segment. Length is checked separately.
 */
export const NAME_PATTERN =
  '^(?!/)(?![\\s\\S]*//)(?![\\s\\S]*/$)(?!(?:[\\s\\S]*/)?\\.{1,2}(?:/|$))[^\\\\' + CONTROL_CLASS + ']+$';

/** A name prefix (`GET /api/notebooks?prefix=`): relative, no `\`, no control characters. */
export const NAME_PREFIX_PATTERN = '^(?!/)[^\\\\' + CONTROL_CLASS + ']*$';

const CONTROL = new RegExp('[' + CONTROL_CLASS + ']', 'u');

function codePoint(ch: string): string {
  return 'U+' + (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Says what is wrong with a name, or `null` when it is valid.
 * @param name - the decoded name from the URL or body
 * @param what - how the message calls it
 * @defaultValue what = 'name'
 */
export function nameProblem(name: unknown, what = 'name'): string | null {
  if (name !== undefined && name !== null && typeof name !== 'string') {
    return `${what} must be a string, such as 'main' or 'reports/monthly'`;
  }
  if (typeof name !== 'string' || name.length === 0) {
    return `${what} is empty: give a notebook name such as 'main' or 'reports/monthly'`;
  }
  const length = [...name].length;
  if (length > MAX_NAME_LENGTH) {
    return `${what} is ${length} characters long; at most ${MAX_NAME_LENGTH} are allowed`;
  }
  const shown = JSON.stringify(name.length > 80 ? name.slice(0, 80) + '…' : name);
  if (name.startsWith('/')) {
    return `${what} ${shown} is an absolute path: drop the leading '/' (names are relative, e.g. 'reports/monthly')`;
  }
  if (name.includes('\\')) {
    return `${what} ${shown} contains a backslash: separate folders with '/'`;
  }
  const control = CONTROL.exec(name);
  if (control) {
    return `${what} ${shown} contains the control character ${codePoint(control[0])} at position ${control.index}: remove it`;
  }
  const segments = name.split('/');
  if (segments.includes('..')) {
    return `${what} ${shown} contains a '..' segment: names cannot point outside the notebook store`;
  }
  if (segments.includes('.')) {
    return `${what} ${shown} contains a '.' segment: remove it`;
  }
  if (segments.includes('')) {
    return `${what} ${shown} has an empty folder segment (a '//' or a trailing '/'): remove it`;
  }
  return null;
}

/**
 * Throws `InvalidInputError` with `nameProblem()`'s message for an invalid name.
 * @returns the name, typed as a string
 */
export function assertValidName(name: unknown, what = 'name'): string {
  const problem = nameProblem(name, what);
  if (problem !== null) {
    throw new InvalidInputError(problem);
  }
  return name as string;
}

/** A worker label, which is also the name of its queue: what `require` and `--label` accept. */
export const LABEL_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';

/** `LABEL_PATTERN` as a regular expression. */
export const LABEL_RE = new RegExp(LABEL_PATTERN);

/** The label rule in words, for messages. */
export const LABEL_RULE = '1-64 characters from A-Z a-z 0-9 _ . -';

/**
 * Redis key names a label must not take, because a label is used verbatim as the name of a Redis
 * list (its queue, and `<label>\x06\x16<priority>` beside it): a list at one of these names breaks
 * kombu, Celery or nbgrid for every queue (a list at `unacked` makes every pop fail after taking
 * its message; one at `unacked_mutex` stops all redelivery). Exact names, from kombu's Redis
 * transport (`Channel.unacked_key`, ...), Celery (`task_default_queue`) and nbgrid's Celery layer.
 * Names with `:` or `/` (nbgrid's `nbgrid:*`, kombu's fanout channels `/0.*`) cannot be labels.
 */
export const RESERVED_LABELS: readonly string[] = [
  'unacked', 'unacked_index', 'unacked_mutex', 'celery', 'celery-revoked', 'celeryev', 'celery-unacked-owner', 'celery-unacked-holders'
];

/**
 * Prefixes and suffixes of key families a label must not fall into: kombu's bindings
 * (`_kombu.binding.*`, `_kombu.binding_permanent.*`, `_kombu.binding_deadlines`), Celery's result
 * backend (`celery-task-meta-*`, `celery-taskset-meta-*`, `chord-unlock-*`), Celery's event
 * receiver queues (`celeryev.*`) and kombu's pidbox queues (`<node>.celery.pidbox`,
 * `<id>.reply.celery.pidbox`), and the keys with which nbgrid workers record the messages they hold
 * (`celery-unacked-owner`, `celery-unacked-holders`, `celery-unacked-held.<host>`,
 * `celery-worker-alive.<host>`: see celery/keys.ts).
 */
export const RESERVED_LABEL_PREFIXES: readonly string[] = [
  '_kombu.', 'celery-task-meta-', 'celery-taskset-meta-', 'chord-unlock-', 'celeryev.', 'celery-unacked-held.', 'celery-worker-alive.'
];
/** See {@link RESERVED_LABEL_PREFIXES}. */
export const RESERVED_LABEL_SUFFIXES: readonly string[] = ['.pidbox'];

/** The reserved word `label` hits (`unacked`, `_kombu.*`, `*.pidbox` ...), or `null`. */
export function reservedLabel(label: string): string | null {
  if (RESERVED_LABELS.includes(label)) return label;
  const prefix = RESERVED_LABEL_PREFIXES.find((p) => label.startsWith(p));
  if (prefix !== undefined) return prefix + '*';
  const suffix = RESERVED_LABEL_SUFFIXES.find((p) => label.endsWith(p));
  return suffix === undefined ? null : '*' + suffix;
}

/**
 * Says what is wrong with a worker label, or `null` when a map can name it.
 * @param what - how the message calls it, e.g. `require` or `--label`
 */
export function labelProblem(label: unknown, what = 'label'): string | null {
  if (typeof label !== 'string' || !LABEL_RE.test(label)) {
    return `${what} must be a worker label (${LABEL_RULE}, e.g. "gpu"), got ${JSON.stringify(label) ?? String(label)}`;
  }
  const reserved = reservedLabel(label);
  if (reserved !== null) {
    return (
      `${what} ${JSON.stringify(label)} is reserved: '${reserved}' is a Redis key name that kombu, Celery or nbgrid uses, ` +
      `and a queue there would break delivery for every queue; choose another label, e.g. "${label.replace(/[^A-Za-z0-9]+/g, '') || 'gpu'}-q"`
    );
  }
  return null;
}

/**
 * Throws `InvalidInputError` with `labelProblem()`'s message for a label no map may name (the route
 * checks with it after the schema's pattern, which cannot list the reserved names).
 * @returns the label, typed as a string
 */
export function assertValidLabel(label: unknown, what = 'label'): string {
  const problem = labelProblem(label, what);
  if (problem !== null) throw new InvalidInputError(problem);
  return label as string;
}

/**
 * A task group id as a request may give it. Groups made by map are 8 lowercase hex digits
 * (`newTaskGroup()`); a request may name any id of these characters and gets a 404 if none exists.
 */
export const TASK_GROUP_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';

/** `TASK_GROUP_PATTERN`, or `*` for every group. */
export const TASK_GROUP_OR_ALL_PATTERN = '^(\\*|' + TASK_GROUP_PATTERN.slice(1, -1) + ')$';
