/**
 * papermill's parameters, nbgrid-style: when a task's parameter is a JSON object, each member
 * whose key is a Python identifier becomes one assignment (`alpha = 0.5`), written as papermill's
 * `PythonTranslator` writes the value it would get from `json.loads` of the same text (without
 * black, which papermill only uses when it is installed). So a notebook written for
 * `papermill.execute_notebook(nb, out, parameters={'alpha': 0.5})` runs unchanged under
 * `map([{'alpha': 0.5}])`.
 *
 * The source is made from the parameter's JSON text, not from a JavaScript value: JavaScript
 * would turn `1.0` into `1`, round `2**53 + 1` and reorder keys that look like integers.
 */
import { InvalidInputError } from '../domain/errors';
import { valueEnd } from '../domain/json-spans';

/** Python's keywords (`keyword.kwlist`): not assignable, so such keys stay in `job['param']`. */
const PYTHON_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del',
  'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal',
  'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield'
]);

/**
 * Names a parameter key never becomes: `job` is nbgrid's own variable (it must stay the dict with
 * `param`, `job_id`, ...), and `__debug__` cannot be assigned in Python.
 */
export const RESERVED_VARIABLES: ReadonlySet<string> = new Set(['job', '__debug__']);

/**
 * Deepest nesting of lists and dicts in one assigned value: Python's parser stops at 200 nested
 * brackets on a line ("too many nested parentheses").
 * @defaultValue 200
 */
export const MAX_LITERAL_DEPTH = 200;

/**
 * Most digits of an int literal: Python (3.11+) refuses to compile longer ones
 * (`sys.get_int_max_str_digits()`), and `json.loads` refuses to read them.
 * @defaultValue 4300
 */
export const MAX_INT_DIGITS = 4300;

const IDENTIFIER = /^[\p{XID_Start}_]\p{XID_Continue}*$/u;

/**
 * Whether `key` is assigned as a variable: a Python identifier (`str.isidentifier()`), not a
 * keyword, not reserved, and unchanged by NFKC (Python normalizes identifiers, so `ﬁ` would
 * assign `fi`, not the key that was sent).
 */
export function isVariableName(key: string): boolean {
  return IDENTIFIER.test(key) && !PYTHON_KEYWORDS.has(key) && !RESERVED_VARIABLES.has(key) && key.normalize('NFKC') === key;
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t';
}

function skipSpace(text: string, i: number): number {
  while (isSpace(text[i])) i++;
  return i;
}

/** Where a value is in the parameter, for error messages: `params[3]['alpha'][0]`. */
type Where = () => string;

/**
 * The members of the JSON object `text` as `[key, value text]`, in the order Python's `dict`
 * keeps them: a repeated key keeps its first place and takes its last value (as `json.loads`).
 */
function objectMembers(text: string, start: number, end: number): [string, string][] {
  const members = new Map<string, string>();
  let i = skipSpace(text, start + 1);
  if (text[i] === '}') return [];
  while (i < end) {
    const keyEnd = valueEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd) + 1; // past ':'
    i = skipSpace(text, i);
    const vEnd = valueEnd(text, i);
    members.set(key, text.slice(i, vEnd));
    i = skipSpace(text, vEnd);
    if (text[i] === '}') break;
    i = skipSpace(text, i + 1); // past ','
  }
  return [...members.entries()];
}

function arrayElements(text: string): string[] {
  const out: string[] = [];
  let i = skipSpace(text, 1);
  if (text[i] === ']') return out;
  for (;;) {
    const end = valueEnd(text, i);
    out.push(text.slice(i, end));
    i = skipSpace(text, end);
    if (text[i] === ']') return out;
    i = skipSpace(text, i + 1);
  }
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

/**
 * papermill's `translate_escaped_str`: Python's `unicode_escape` codec (printable ASCII as it is,
 * `\\`, `\t`, `\n`, `\r`, then `\xNN`, `\uNNNN`, `\UNNNNNNNN` by code point), then `"` → `\"`,
 * in double quotes. Every character outside printable ASCII is escaped, so the literal is exact
 * and stays on one line.
 */
export function papermillString(s: string): string {
  let out = '"';
  for (const ch of s) {
    // for..of walks code points: a pair of surrogates is one character, a lone one is itself
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else if (code <= 0xff) out += `\\x${hex(code, 2)}`;
    else if (code <= 0xffff) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return out + '"';
}

/**
 * Python's `repr(float)` of the double nearest to `n` (the shortest digits that read back as
 * it, as JavaScript's; exponent form below 1e-4 and from 1e16 on, with at least two exponent
 * digits), and papermill's spelling of the non-finite ones.
 */
export function pythonFloatRepr(n: number): string {
  if (Number.isNaN(n)) return "float('nan')";
  if (n === Infinity) return "float('inf')";
  if (n === -Infinity) return "float('-inf')";
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const sign = n < 0 ? '-' : '';
  // toExponential() without digits: the shortest digits that round-trip, like Python's repr
  const [mantissa, expText] = Math.abs(n).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1) || '0';
  return `${sign}${whole}.${frac}`;
}

/** A JSON number token as papermill writes the value `json.loads` gives for it. */
function pythonNumber(token: string, where: Where): string {
  if (/^-?\d+$/.test(token)) {
    const digits = token.replace(/^-/, '').replace(/^0+(?=\d)/, '');
    if (digits.length > MAX_INT_DIGITS) {
      throw new InvalidInputError(
        `${where()} is an integer of ${digits.length} digits; Python reads at most ${MAX_INT_DIGITS} (sys.get_int_max_str_digits()): pass it as a string and convert it in the notebook`
      );
    }
    // json.loads('-0') is the int 0
    return BigInt(token).toString();
  }
  return pythonFloatRepr(Number(token));
}

/** papermill's `PythonTranslator.translate` of the value of JSON `text`. */
function translate(text: string, where: Where, depth: number): string {
  const first = text[0];
  if (first === '{' || first === '[') {
    if (depth >= MAX_LITERAL_DEPTH) {
      const path = where();
      throw new InvalidInputError(
        `${path.length > 120 ? `${path.slice(0, 120)}...` : path} nests lists and dicts more than ${MAX_LITERAL_DEPTH} levels deep, which Python cannot write as a literal ("too many nested parentheses"): flatten it, or use a key that is not a Python identifier so it stays in job['param'] only`
      );
    }
    if (first === '[') {
      const items = arrayElements(text).map((v, i) => translate(v, () => `${where()}[${i}]`, depth + 1));
      return `[${items.join(', ')}]`;
    }
    const items = objectMembers(text, 0, text.length).map(
      ([k, v]) => `${papermillString(k)}: ${translate(v, () => `${where()}[${JSON.stringify(k)}]`, depth + 1)}`
    );
    return `{${items.join(', ')}}`;
  }
  if (first === '"') return papermillString(JSON.parse(text) as string);
  if (text === 'null') return 'None';
  if (text === 'true') return 'True';
  if (text === 'false') return 'False';
  // Python's json writes non-finite floats so; papermill spells them float('...')
  if (text === 'NaN') return "float('nan')";
  if (text === 'Infinity') return "float('inf')";
  if (text === '-Infinity') return "float('-inf')";
  return pythonNumber(text, where);
}

/**
 * The assignments papermill would write for the parameter whose JSON text is `paramText`, one
 * line each (`alpha = 0.5\n`), in key order; empty when the parameter is not an object. Keys that
 * are not variable names ({@link isVariableName}) are left out: they stay in `job['param']`.
 *
 * @param what names the parameter in error messages, e.g. `params[3]`
 * @throws InvalidInputError when a value cannot be written as a Python literal exactly (nesting
 *   deeper than {@link MAX_LITERAL_DEPTH}, an int of more than {@link MAX_INT_DIGITS} digits),
 *   naming the parameter and the key
 * @example papermillAssignments('{"alpha": 0.5, "n": 10, "a-b": 1}') === 'alpha = 0.5\nn = 10\n'
 */
export function papermillAssignments(paramText: string, what = 'the parameter'): string {
  const start = skipSpace(paramText, 0);
  if (paramText[start] !== '{') return '';
  const end = valueEnd(paramText, start);
  let out = '';
  for (const [key, value] of objectMembers(paramText, start, end)) {
    if (!isVariableName(key)) continue;
    out += `${key} = ${translate(value, () => `${what}[${JSON.stringify(key)}]`, 0)}\n`;
  }
  return out;
}

/**
 * Check that every variable of the parameter can be written exactly (what `map()` calls for each
 * parameter before anything is stored).
 * @throws InvalidInputError as {@link papermillAssignments}
 */
export function checkPapermillParameter(paramText: string, what: string): void {
  papermillAssignments(paramText, what);
}
