/** Ages as a person writes them: `30d`, `12h`, `90m`, `45s`. */
import { InvalidInputError } from '../domain/errors';

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** Milliseconds of an age such as `30d`. @throws InvalidInputError naming the accepted forms */
export function parseAge(text: string, what = 'older_than'): number {
  const m = /^\s*(\d{1,6})\s*([dhms])\s*$/.exec(typeof text === 'string' ? text : '');
  if (!m) throw new InvalidInputError(`${what} ${JSON.stringify(text)} is not an age: write a whole number and a unit, e.g. 30d, 12h, 90m or 45s`);
  return Number(m[1]) * UNIT_MS[m[2]];
}
