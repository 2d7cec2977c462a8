/**
 * JSON values to and from the bytes nbgrid stores and sends (DESIGN.md: content, parameters and
 * returned values are stored as serialized JSON, never as BSON sub-documents). The job service
 * encodes parameters with it to check them before anything is written; storage keeps the bytes.
 *
 * The text is `JSON.stringify`'s, except that non-finite numbers are written as Python's `json`
 * module writes them (`NaN`, `Infinity`, `-Infinity`) instead of being turned into `null`, so a
 * returned `float('nan')` comes back as NaN.
 */
import { createHash, randomBytes } from 'node:crypto';
import { InvalidInputError } from './errors';
import { jsonDepth } from './json-spans';

/**
 * Deepest nesting of arrays and objects nbgrid accepts in a JSON value (parameters, returned
 * values, notebooks). Every walker on a value's way (this encoder, the Python literal renderer,
 * `JSON.stringify`, `structuredClone`) recurses once per level, and Node's stack ends a few
 * thousand levels down: the bound keeps all of them far from it, so nothing depends on the stack
 * depth. Python's own `json` and parser stop earlier (about 1000 and 200 levels).
 * @defaultValue 500
 */
export const MAX_JSON_DEPTH = 500;

/** The error for a value nested deeper than {@link MAX_JSON_DEPTH}, naming it by `what`. */
export function tooDeepError(what: string): InvalidInputError {
  return new InvalidInputError(
    `${what} is nested more than ${MAX_JSON_DEPTH} levels deep; at most ${MAX_JSON_DEPTH} levels of lists and objects are accepted: flatten it or store it elsewhere and pass its name`
  );
}

/**
 * Serialize `value`, checking on the way that it is JSON.
 * @param what names the value in error messages, e.g. `params[3]`
 * @throws InvalidInputError for undefined, functions, symbols, bigints, class instances, cycles,
 *   and values nested deeper than {@link MAX_JSON_DEPTH}
 */
export function encodeJson(value: unknown, what = 'value'): Buffer {
  return Buffer.from(stringify(value, what, new Set(), 0, what), 'utf8');
}

function stringify(value: unknown, path: string, seen: Set<object>, depth: number, root: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (Number.isFinite(value)) return JSON.stringify(value);
      return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
    case 'string':
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new InvalidInputError(`${path} is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}, which is not a JSON value`);
  }
  // Kept as it was written (see JsonText): parsing it again would change numbers and key order.
  if (value instanceof JsonText) {
    // Spliced text counts towards the same depth bound: nothing downstream (json.loads in the
    // kernel included) may depend on the stack depth.
    if (depth + jsonDepth(value.text) > MAX_JSON_DEPTH) throw tooDeepError(root);
    return value.text;
  }
  const obj = value as object;
  if (seen.has(obj)) throw new InvalidInputError(`${path} refers to itself; JSON values cannot be circular`);
  if (depth >= MAX_JSON_DEPTH) throw tooDeepError(root);
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      const parts: string[] = [];
      for (let i = 0; i < obj.length; i++) parts.push(stringify(obj[i], `${path}[${i}]`, seen, depth + 1, root));
      return `[${parts.join(',')}]`;
    }
    const proto = Object.getPrototypeOf(obj) as unknown;
    // Plain objects from any realm (vm contexts, structuredClone) have a prototype whose prototype is null.
    if (proto !== null && Object.getPrototypeOf(proto) !== null) {
      const kind = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'class';
      throw new InvalidInputError(`${path} is a ${kind} object, which is not a JSON value`);
    }
    const parts: string[] = [];
    for (const [k, v] of Object.entries(obj)) {
      parts.push(`${JSON.stringify(k)}:${stringify(v, `${path}[${JSON.stringify(k)}]`, seen, depth + 1, root)}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}

const NON_FINITE = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity } as const;
const SENTINEL = '\u0000nbgrid-nonfinite:';

/** Parse bytes written by `encodeJson` (or Python's `json.dumps`). */
export function decodeJson(bytes: Uint8Array | string): unknown {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!/NaN|Infinity/.test(text)) throw err;
  }
  // Swap bare NaN/Infinity tokens (outside strings) for sentinel strings, then map them back.
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const m = /^(-Infinity|Infinity|NaN)/.exec(text.slice(i, i + 9));
    if (m) {
      out += JSON.stringify(SENTINEL + m[1]);
      i += m[1].length;
      continue;
    }
    out += ch;
    i++;
  }
  return JSON.parse(out, (_k, v: unknown) =>
    typeof v === 'string' && v.startsWith(SENTINEL) ? NON_FINITE[v.slice(SENTINEL.length) as keyof typeof NON_FINITE] : v
  );
}

/** Hex sha256 of bytes: the content address of a blob. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A JSON value kept as its (compact) JSON text, exactly as it was sent or stored: parameters and
 * returned values go from the request to storage, and from storage to the response, this way
 * (JavaScript numbers would round `2**53 + 1`, turn `1.0` into `1`, `-0.0` into `0`, `10**30`
 * into `1e+30`, and objects would reorder keys that look like integers). `encodeJson` and
 * `responseJson` write the text as it is; a serializer that does not know this class gets the
 * parsed value from `toJSON` (numbers as JavaScript reads them).
 */
export class JsonText {
  /** @param text valid JSON (checked by `JSON.parse`, or written by nbgrid or Python's json) */
  constructor(readonly text: string) {}

  /** The stored bytes of a value. */
  static fromBytes(bytes: Uint8Array): JsonText {
    return new JsonText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  }

  toJSON(): unknown {
    return decodeJson(this.text);
  }
}

/** Bare NaN/Infinity tokens may be in texts stored before returned values were checked. */
const NON_FINITE_TOKEN = /NaN|Infinity/;

/**
 * The text of an API response that carries parameters or returned values: `JSON.stringify`'s
 * (undefined properties left out, NaN and infinities as null, so any JSON parser reads it), with
 * each `JsonText` in it written exactly as stored.
 */
export function responseJson(value: unknown): string {
  const texts: string[] = [];
  // A placeholder no other string in the response can spell: a fresh nonce per call.
  const marker = `\u0000${randomBytes(8).toString('hex')}:`;
  const json = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    // `this[key]` is the value before its toJSON ran
    const original = this[key];
    if (!(original instanceof JsonText)) return v;
    texts.push(NON_FINITE_TOKEN.test(original.text) ? JSON.stringify(decodeJson(original.text)) : original.text);
    return `${marker}${texts.length - 1}`;
  });
  if (texts.length === 0) return json;
  const placeholder = new RegExp(`"${JSON.stringify(marker).slice(1, -1).replace(/\\/g, '\\\\')}(\\d+)"`, 'g');
  return json.replace(placeholder, (_m, i: string) => texts[Number(i)]);
}
