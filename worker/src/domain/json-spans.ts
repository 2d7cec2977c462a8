/**
 * Pieces of a JSON text as text: the elements of an array, the value of an object member. This is
 * how nbgrid keeps parameters exactly as they were sent (`2**53 + 1`, `1.0`, `-0.0`, `10**30`,
 * keys that look like integers, in their order): JavaScript numbers and objects would change them,
 * the text does not. Every function expects text that is valid JSON (already checked by
 * `JSON.parse`, or written by nbgrid) and none of them recurses, so nesting depth does not matter.
 */

/** JSON's insignificant whitespace. */
function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just after the string literal that starts at `i` (a `"`). */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length) {
    const ch = text.charCodeAt(j);
    if (ch === 0x5c) j += 2;
    else if (ch === 0x22) return j + 1;
    else j++;
  }
  throw new SyntaxError('unterminated string in JSON text');
}

/** Index just after the value that starts at `i`. */
export function valueEnd(text: string, i: number): number {
  const first = text[i];
  if (first === '"') return stringEnd(text, i);
  if (first === '[' || first === '{') {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const ch = text[j];
      if (ch === '"') {
        j = stringEnd(text, j);
        continue;
      }
      if (ch === '[' || ch === '{') depth++;
      else if (ch === ']' || ch === '}') {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    throw new SyntaxError('unterminated array or object in JSON text');
  }
  let j = i;
  while (j < text.length && !isSpace(text.charCodeAt(j)) && text[j] !== ',' && text[j] !== ']' && text[j] !== '}') j++;
  return j;
}

/** `text` without whitespace outside strings (what `JSON.stringify` would space, byte for byte otherwise). */
export function compactJson(text: string): string {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) {
      i = stringEnd(text, i);
    } else if (isSpace(ch)) {
      if (i > start) parts.push(text.slice(start, i));
      i = skipSpace(text, i);
      start = i;
    } else {
      i++;
    }
  }
  if (start < text.length) parts.push(text.slice(start));
  return parts.join('');
}

/**
 * The elements of the JSON array `text`, each as its own compact JSON text.
 * @example jsonArrayElements('[1.0, {"2": 0, "1": 0}]') → ['1.0', '{"2":0,"1":0}']
 * @throws SyntaxError when `text` is not an array
 */
export function jsonArrayElements(text: string): string[] {
  let i = skipSpace(text, 0);
  if (text[i] !== '[') throw new SyntaxError('JSON text is not an array');
  const out: string[] = [];
  i = skipSpace(text, i + 1);
  if (text[i] === ']') return out;
  for (;;) {
    const end = valueEnd(text, i);
    out.push(compactJson(text.slice(i, end)));
    i = skipSpace(text, end);
    if (text[i] === ',') {
      i = skipSpace(text, i + 1);
      continue;
    }
    if (text[i] === ']') return out;
    throw new SyntaxError(`unexpected ${JSON.stringify(text[i] ?? 'end')} in JSON array`);
  }
}

/**
 * The text of member `key` of the JSON object `text` (the last one when repeated, as `JSON.parse`
 * takes it), or undefined when it has none.
 * @throws SyntaxError when `text` is not an object
 */
export function jsonMemberText(text: string, key: string): string | undefined {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') throw new SyntaxError('JSON text is not an object');
  let found: string | undefined;
  i = skipSpace(text, i + 1);
  if (text[i] === '}') return undefined;
  for (;;) {
    const keyEnd = stringEnd(text, i);
    const name = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    if (text[i] !== ':') throw new SyntaxError('expected ":" in JSON object');
    i = skipSpace(text, i + 1);
    const end = valueEnd(text, i);
    if (name === key) found = text.slice(i, end);
    i = skipSpace(text, end);
    if (text[i] === ',') {
      i = skipSpace(text, i + 1);
      continue;
    }
    if (text[i] === '}') return found;
    throw new SyntaxError(`unexpected ${JSON.stringify(text[i] ?? 'end')} in JSON object`);
  }
}

/**
 * How deeply arrays and objects nest in the JSON `text` (0 for a scalar), counted without
 * recursion, so a spliced text can be held to the same depth bound as a parsed value.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      i = stringEnd(text, i);
      continue;
    }
    if (ch === '[' || ch === '{') max = Math.max(max, ++depth);
    else if (ch === ']' || ch === '}') depth--;
    i++;
  }
  return max;
}
