/**
 * Reading a notebook's returned value: after the last cell, one silent execute (no history, no
 * execution count) evaluates a user expression. Its text/plain is the repr of a base64 string,
 * so no Python repr has to be parsed and any JSON (NUL, quotes, unicode) survives the trip.
 */
import type { JsonValue } from './json-value';

/** The JSON of `job['result']` when the notebook set it, else `''`. */
export const DEFAULT_RESULT_EXPRESSION =
  "__import__('json').dumps(globals()['job']['result'], allow_nan=False) " +
  "if isinstance(globals().get('job'), dict) and 'result' in globals()['job'] else ''";

/** Name of the user expression in the execute request. */
export const RESULT_KEY = 'nbgrid_result';

/** Wraps an expression that evaluates to a JSON text (or `''`) so its value comes back as base64. */
export function resultUserExpression(expression: string): string {
  return `__import__('base64').b64encode((${expression}).encode('utf-8')).decode('ascii')`;
}

/** What a user expression reply says: a value, nothing, or why the value could not be read. */
export type ReturnedValue = { value?: JsonValue; error?: string };

/** Decodes the user expression's reply (`user_expressions[RESULT_KEY]`). */
export function decodeReturnedValue(reply: unknown): ReturnedValue {
  const entry = reply as
    | { status?: string; data?: Record<string, unknown>; ename?: string; evalue?: string }
    | undefined;
  if (!entry) {
    return { error: 'the kernel did not evaluate the result expression' };
  }
  if (entry.status !== 'ok') {
    return { error: `${entry.ename ?? 'Error'}: ${entry.evalue ?? ''}` };
  }
  const repr = entry.data?.['text/plain'];
  const match = typeof repr === 'string' ? /^'([A-Za-z0-9+/=]*)'$/.exec(repr) : null;
  if (!match) {
    return { error: `unexpected result expression value: ${String(repr).slice(0, 200)}` };
  }
  const text = Buffer.from(match[1], 'base64').toString('utf-8');
  if (text === '') {
    return {};
  }
  try {
    return { value: JSON.parse(text) as JsonValue };
  } catch (error) {
    return { error: `the returned value is not JSON: ${(error as Error).message}` };
  }
}
