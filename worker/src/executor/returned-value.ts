/**
 * Reading a notebook's returned value: a user expression, evaluated by the kernel after the last
 * cell within that cell's execute request (no history, no execution count, no output), or, when
 * that cell raised or the run ended before it, by one silent execute of its own
 * (`execute-notebook.ts`). Its text/plain is the repr of a base64 string,
 * so no Python repr has to be parsed and any JSON (NUL, quotes, unicode) survives the trip.
 *
 * The default expression converts `job['result']` in the kernel the way JSON can carry it
 * exactly: numpy scalars and arrays through `.tolist()` (numpy is never imported: a value is
 * numpy's when its type's module is), ints of any size, floats by their repr. Anything else
 * (NaN, infinity, a set, bytes, a datetime, a non-str dict key, a cycle) raises a TypeError that
 * names the type and where it is, e.g. `job['result']['x'][3] is a set: return a list ...`, so
 * the run fails with that message instead of storing a silent `null`.
 */
import type { JsonValue } from './json-value';

/**
 * Python source defining `_nbgrid_result_json(globals)`: the JSON text of `job['result']`, `''`
 * when the notebook set none. It runs in a namespace of its own (see DEFAULT_RESULT_EXPRESSION).
 */
export const RESULT_CONVERTER_SOURCE = `import json, math
def _nbgrid_result_json(g):
    job = g.get('job')
    if not isinstance(job, dict) or 'result' not in job:
        return ''
    names = {set: 'a set', frozenset: 'a frozenset', bytes: 'bytes', bytearray: 'a bytearray'}
    fixes = {'set': 'return a list, e.g. sorted(...)', 'frozenset': 'return a list, e.g. sorted(...)',
             'bytes': 'decode it to str or encode it as base64', 'bytearray': 'decode it to str or encode it as base64',
             'memoryview': 'decode it to str or encode it as base64',
             'datetime': 'return .isoformat()', 'date': 'return .isoformat()', 'time': 'return .isoformat()',
             'timedelta': 'return .total_seconds()', 'Decimal': 'return str(...) or float(...)',
             'complex': 'return [z.real, z.imag]', 'ndarray': 'return .tolist()'}
    active = set()
    def bad(path, what, fix):
        raise TypeError(f"{path} is {what}: {fix} (nbgrid stores job['result'] as JSON)")
    def conv(v, path):
        t = type(v)
        if v is None or t is bool or t is str:
            return v
        if t is int:
            return v
        if isinstance(v, float):
            if math.isnan(v) or math.isinf(v):
                bad(path, repr(float(v)), 'JSON has no NaN or infinity; return None or a string')
            return float(v)
        mod = getattr(t, '__module__', '') or ''
        if mod == 'numpy' or mod.startswith('numpy.'):
            tolist = getattr(v, 'tolist', None)
            if callable(tolist):
                return conv(tolist(), path)
        if isinstance(v, bool):
            return bool(v)
        if isinstance(v, int):
            return int(v)
        if isinstance(v, str):
            return str(v)
        if isinstance(v, (list, tuple, dict)):
            if id(v) in active:
                bad(path, 'a reference to a value that contains it', 'JSON cannot represent a cycle')
            active.add(id(v))
            try:
                if isinstance(v, dict):
                    out = {}
                    for k, x in v.items():
                        if not isinstance(k, str):
                            bad(f'{path}', f'a dict with the key {k!r:.60} ({type(k).__name__})',
                                'JSON object keys are strings; use str keys')
                        out[str(k)] = conv(x, f'{path}[{str(k)!r}]')
                    return out
                return [conv(x, f'{path}[{i}]') for i, x in enumerate(v)]
            finally:
                active.discard(id(v))
        name = t.__name__
        what = names.get(t) or f'a {name}'
        bad(path, what, fixes.get(name, 'return None, bool, int, float, str, or lists/dicts of them'))
    return json.dumps(conv(job['result'], "job['result']"), allow_nan=False, separators=(',', ':'))
`;

/** The JSON of `job['result']` when the notebook set it, else `''`; raises naming a value JSON cannot carry. */
export const DEFAULT_RESULT_EXPRESSION =
  `(lambda ns: (exec(${JSON.stringify(RESULT_CONVERTER_SOURCE)}, ns), ns['_nbgrid_result_json'](globals()))[1])({})`;

/** Name of the user expression in the execute request. */
export const RESULT_KEY = 'nbgrid_result';

/** Wraps an expression that evaluates to a JSON text (or `''`) so its value comes back as base64. */
export function resultUserExpression(expression: string): string {
  return `__import__('base64').b64encode((${expression}).encode('utf-8')).decode('ascii')`;
}

/**
 * What a user expression reply says: a value (parsed, and `text`: the JSON text exactly as the
 * kernel wrote it, which is what nbgrid stores), nothing, or why the value could not be read.
 */
export type ReturnedValue = { value?: JsonValue; text?: string; error?: string };

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
    return { value: JSON.parse(text) as JsonValue, text };
  } catch (error) {
    return { error: `the returned value is not JSON: ${(error as Error).message}` };
  }
}
