/**
 * Canonical JSON text of a parameter for the cache's input key: object keys sorted (by UTF-16
 * code units, duplicates resolved as `JSON.parse` does: the last wins), no whitespace, strings
 * written the way `JSON.stringify` writes them, and numbers kept as their text, so two big
 * integers that JavaScript would round to the same double never share a key.
 */
import { valueEnd } from '../domain/json-spans';

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  return i;
}

/** Canonical text of the value starting at `i` of `text`, and the index after it. */
function canonicalAt(text: string, start: number): [string, number] {
  const i = skipSpace(text, start);
  const ch = text[i];
  if (ch === '{') {
    const members = new Map<string, string>();
    let j = skipSpace(text, i + 1);
    if (text[j] === '}') return ['{}', j + 1];
    for (;;) {
      const keyEnd = valueEnd(text, j);
      const key = JSON.parse(text.slice(j, keyEnd)) as string;
      j = skipSpace(text, keyEnd) + 1; // the ':'
      const [value, after] = canonicalAt(text, j);
      members.set(key, value);
      j = skipSpace(text, after);
      if (text[j] === ',') {
        j = skipSpace(text, j + 1);
        continue;
      }
      const keys = [...members.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return [`{${keys.map((k) => `${JSON.stringify(k)}:${members.get(k)}`).join(',')}}`, j + 1];
    }
  }
  if (ch === '[') {
    const items: string[] = [];
    let j = skipSpace(text, i + 1);
    if (text[j] === ']') return ['[]', j + 1];
    for (;;) {
      const [value, after] = canonicalAt(text, j);
      items.push(value);
      j = skipSpace(text, after);
      if (text[j] === ',') {
        j += 1;
        continue;
      }
      return [`[${items.join(',')}]`, j + 1];
    }
  }
  const end = valueEnd(text, i);
  const token = text.slice(i, end);
  return [ch === '"' ? JSON.stringify(JSON.parse(token)) : token, end];
}

/** Canonical JSON text of the valid JSON `text`. */
export function canonicalJson(text: string): string {
  return canonicalAt(text, 0)[0];
}
