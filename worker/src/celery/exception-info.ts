/**
 * Celery's JSON form of an exception (`{exc_type, exc_message, exc_module}`), which Python's
 * `AsyncResult.get()` turns back into the exception class: builtins for the usual JS errors,
 * `celery.exceptions` for nbgrid's Celery errors.
 */
import type { JsonValue } from './types';

export interface IExceptionInfo {
  exc_type: string;
  exc_message: JsonValue[];
  exc_module: string;
}

const JS_TO_PYTHON: Record<string, [string, string]> = {
  Error: ['builtins', 'Exception'],
  TypeError: ['builtins', 'TypeError'],
  RangeError: ['builtins', 'ValueError'],
  SyntaxError: ['builtins', 'SyntaxError'],
  ReferenceError: ['builtins', 'NameError'],
  AbortError: ['builtins', 'InterruptedError'],
  TimeLimitExceeded: ['celery.exceptions', 'TimeLimitExceeded'],
  SoftTimeLimitExceeded: ['celery.exceptions', 'SoftTimeLimitExceeded'],
  TaskRevokedError: ['celery.exceptions', 'TaskRevokedError'],
  NotRegistered: ['celery.exceptions', 'NotRegistered'],
  Retry: ['celery.exceptions', 'Retry']
};

/**
 * Celery's exception dict for a thrown value. An `Error` with string `excType` (and optional
 * `excModule`, default `builtins`) properties names the Python exception stored for it.
 */
export function exceptionInfo(err: unknown): IExceptionInfo {
  if (err instanceof Error) {
    const e = err as Error & { excType?: unknown; excModule?: unknown };
    if (typeof e.excType === 'string') {
      return { exc_type: e.excType, exc_message: [e.message], exc_module: typeof e.excModule === 'string' ? e.excModule : 'builtins' };
    }
    const [module, type] = JS_TO_PYTHON[e.name] ?? ['builtins', 'Exception'];
    return { exc_type: type, exc_message: [e.message], exc_module: module };
  }
  return { exc_type: 'Exception', exc_message: [String(err)], exc_module: 'builtins' };
}

/** Traceback text stored beside a failure. */
export function tracebackOf(err: unknown): string {
  if (err instanceof Error && err.stack) return err.stack;
  return String(err);
}

/** Python's `repr()` of the exception, used in task-failed events. */
export function exceptionRepr(info: IExceptionInfo): string {
  const msg = info.exc_message.map((m) => (typeof m === 'string' ? `'${m.replace(/'/g, "\\'")}'` : JSON.stringify(m))).join(', ');
  return `${info.exc_type}(${msg})`;
}
