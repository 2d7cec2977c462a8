/**
 * Rules for notebook and job names, shared by the route schemas (pattern) and by
 * `nameProblem()` (the message a person can act on). Both must accept exactly the same set.
 */
import { Type } from '@sinclair/typebox';
import { InvalidInputError } from '../domain/errors';

/** Longest name accepted, in Unicode code points (what JSON Schema's `maxLength` counts). */
export const MAX_NAME_LENGTH = 512;

/**
 * The name rules as one regular expression (used with the `u` flag): relative, no `\`, no
 * control characters, no empty, `.` or `..` segment. Length is checked separately.
 */
export const NAME_PATTERN =
  '^(?!/)(?![\\s\\S]*//)(?![\\s\\S]*/$)(?!(?:[\\s\\S]*/)?\\.{1,2}(?:/|$))[^\\\\\\u0000-\\u001f\\u007f]+$';

/** A notebook path such as `main` or `reports/monthly`. */
export const NameSchema = Type.String({
  minLength: 1,
  maxLength: MAX_NAME_LENGTH,
  pattern: NAME_PATTERN,
  description: "Notebook path such as 'main' or 'reports/monthly': relative, no '..', no control characters, at most 512 characters.",
  examples: ['main', 'reports/monthly']
});

// Control characters are exactly what this rejects.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/u;

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
