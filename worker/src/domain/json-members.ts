/** The members of a JSON object as text, in the order written (see json-spans.ts for why text). */
import { compactJson, valueEnd } from './json-spans';

const skipSpace = (text: string, i: number): number => {
  for (;;) {
    const ch = text.charCodeAt(i);
    if (ch !== 0x20 && ch !== 0x0a && ch !== 0x0d && ch !== 0x09) return i;
    i++;
  }
};

/** The key of the string literal `text[from, to)`; without escapes it is the text between the quotes. */
function keyOf(text: string, from: number, to: number): string {
  const inner = text.slice(from + 1, to - 1);
  return inner.includes('\\') ? (JSON.parse(text.slice(from, to)) as string) : inner;
}

/**
 * `[key, value text]` of each member of the JSON object `text`, in the order written; a key given
 * twice keeps its first place and its last value (as `JSON.parse` and Python's json take it).
 * @example jsonObjectMembers('{"2": 1.0, "a": [1]}') → [['2', '1.0'], ['a', '[1]']]
 * @throws SyntaxError when `text` is not an object
 */
export function jsonObjectMembers(text: string): [string, string][] {
  return [...jsonObjectMemberMap(text).entries()];
}

/** `jsonObjectMembers` as a map (in the order written), for lookups by key. @throws SyntaxError when `text` is not an object */
export function jsonObjectMemberMap(text: string): Map<string, string> {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') throw new SyntaxError('JSON text is not an object');
  const members = new Map<string, string>();
  i = skipSpace(text, i + 1);
  if (text[i] === '}') return members;
  for (;;) {
    if (text[i] !== '"') throw new SyntaxError('expected a key in JSON object');
    const keyEnd = valueEnd(text, i);
    const key = keyOf(text, i, keyEnd);
    i = skipSpace(text, keyEnd);
    if (text[i] !== ':') throw new SyntaxError('expected ":" in JSON object');
    i = skipSpace(text, i + 1);
    const end = valueEnd(text, i);
    members.set(key, compactJson(text.slice(i, end)));
    i = skipSpace(text, end);
    if (text[i] === ',') {
      i = skipSpace(text, i + 1);
      continue;
    }
    if (text[i] === '}') return members;
    throw new SyntaxError(`unexpected ${JSON.stringify(text[i] ?? 'end')} in JSON object`);
  }
}

/** Whether the JSON `text` is an object (its first significant character is `{`). */
export function isJsonObjectText(text: string): boolean {
  return text[skipSpace(text, 0)] === '{';
}
