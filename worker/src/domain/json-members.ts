/** The members of a JSON object as text, in the order written (see json-spans.ts for why text). */
import { compactJson, valueEnd } from './json-spans';

const skipSpace = (text: string, i: number): number => {
  while (i < text.length && ' \n\r\t'.includes(text[i])) i++;
  return i;
};

/**
 * `[key, value text]` of each member of the JSON object `text`, in the order written; a key given
 * twice keeps its first place and its last value (as `JSON.parse` and Python's json take it).
 * @example jsonObjectMembers('{"2": 1.0, "a": [1]}') → [['2', '1.0'], ['a', '[1]']]
 * @throws SyntaxError when `text` is not an object
 */
export function jsonObjectMembers(text: string): [string, string][] {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') throw new SyntaxError('JSON text is not an object');
  const members = new Map<string, string>();
  i = skipSpace(text, i + 1);
  if (text[i] === '}') return [];
  for (;;) {
    const keyEnd = valueEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
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
    if (text[i] === '}') return [...members.entries()];
    throw new SyntaxError(`unexpected ${JSON.stringify(text[i] ?? 'end')} in JSON object`);
  }
}

/** Whether the JSON `text` is an object (its first significant character is `{`). */
export function isJsonObjectText(text: string): boolean {
  return text[skipSpace(text, 0)] === '{';
}
