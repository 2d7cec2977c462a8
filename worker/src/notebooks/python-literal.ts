/**
 * Translate a JSON value into Python source that evaluates to the same value, the way papermill's
 * `PythonTranslator` does for parameters, but exact for every string and number JSON can carry.
 */
import { InvalidInputError } from '../domain/errors';
import { MAX_JSON_DEPTH, tooDeepError } from '../domain/json-bytes';

/**
 * Python source for `value`.
 *
 * - `null`/`true`/`false` → `None`/`True`/`False`
 * - integral numbers → Python ints, exactly (also beyond 2**53: `1e21` → `1000000000000000000000`);
 *   `bigint` is accepted as well
 * - other numbers → the shortest repr that round-trips (JavaScript and Python agree on it);
 *   `NaN` → `float('nan')`, `Infinity` → `float('inf')`, `-Infinity` → `-float('inf')`
 * - strings → single-quoted literals; quotes, backslashes, control and line-separator
 *   characters and lone surrogates are escaped so the literal stays on one source line
 * - arrays → lists, plain objects → dicts with string keys
 *
 * @example pythonLiteral({ a: [1, 2.5, null] }) === "{'a': [1, 2.5, None]}"
 * @throws InvalidInputError for values JSON cannot carry (undefined, functions, symbols, class
 *   instances) and values nested deeper than `MAX_JSON_DEPTH` (the recursion stays bounded)
 */
export function pythonLiteral(value: unknown): string {
  return translate(value, '', new Set(), 0);
}

const WRAPPER_LEVELS = 4;

function translate(value: unknown, path: string, seen: Set<object>, depth: number): string {
  if (value === null) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return pythonNumber(value);
    case 'bigint':
      return value.toString();
    case 'string':
      return pythonString(value);
    case 'object':
      break;
    default:
      throw new InvalidInputError(`${path || 'value'} is ${typeof value}, which is not a JSON value`);
  }
  const obj = value as object;
  if (seen.has(obj)) throw new InvalidInputError(`${path || 'value'} refers to itself; JSON values cannot be circular`);
  // A few levels above the bound for what wraps a parameter (`job = {'param': ...}`).
  if (depth >= MAX_JSON_DEPTH + WRAPPER_LEVELS) throw tooDeepError(path ? `value${path.slice(0, 40)}...` : 'value');
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj.map((v, i) => translate(v, `${path}[${i}]`, seen, depth + 1)).join(', ')}]`;
    }
    const proto = Object.getPrototypeOf(obj) as unknown;
    // Plain objects from any realm (vm contexts, structuredClone) have a prototype whose prototype is null.
    if (proto !== null && Object.getPrototypeOf(proto) !== null) {
      throw new InvalidInputError(`${path || 'value'} is a ${obj.constructor?.name ?? 'class'} instance, which is not a JSON value`);
    }
    const items = Object.entries(obj).map(
      ([k, v]) => `${pythonString(k)}: ${translate(v, `${path}[${JSON.stringify(k)}]`, seen, depth + 1)}`
    );
    return `{${items.join(', ')}}`;
  } finally {
    seen.delete(obj);
  }
}

function pythonNumber(n: number): string {
  if (Number.isNaN(n)) return "float('nan')";
  if (n === Infinity) return "float('inf')";
  if (n === -Infinity) return "-float('inf')";
  // JSON `2` and `2.0` both parse to 2 in JavaScript; Python's json gives int for the usual
  // spelling, so integral numbers become ints. BigInt spells large ones out exactly.
  if (Number.isInteger(n)) return BigInt(n).toString();
  // String(n) is the shortest round-trip repr, like Python's float repr; Python reads `1e-7`
  // and `1.5e+300` as floats.
  return String(n);
}

/** Characters Python or nbformat's line splitting would treat specially inside a literal. */
function needsEscape(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0xfeff
  );
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

/** A single-quoted Python str literal for `s` (JavaScript strings are UTF-16; Python's are code points). */
export function pythonString(s: string): string {
  let out = "'";
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        out += s[i] + s[i + 1];
        i++;
        continue;
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      // A lone surrogate cannot be written as UTF-8 source; Python's json.loads keeps it as is.
      out += `\\u${hex(code, 4)}`;
      continue;
    }
    const ch = s[i];
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (needsEscape(code)) out += code <= 0xff ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
    else out += ch;
  }
  return out + "'";
}
