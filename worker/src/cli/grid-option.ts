import type { JsonValue } from '../domain/types';
import { CliError } from './api-client';

/** One value of `--grid name=v1,v2`: JSON when it parses, else the text as a string. */
function gridValue(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/**
 * `--grid alpha=0.1,0.5 --grid n=10,100` as the map body's `grid`. The values after `=` are read
 * as one JSON list when they are one (`cfg=[1,2],[3]`, `s="a,b","c"`), else split at commas, each
 * JSON when it parses and a string otherwise (`name=a,b` gives "a" and "b").
 */
export function parseGridOptions(specs: string[]): Record<string, JsonValue[]> {
  const grid: Record<string, JsonValue[]> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? '' : spec.slice(0, eq).trim();
    if (eq < 0 || name === '') {
      throw new CliError(`--grid "${spec}" is not NAME=VALUES: use e.g. --grid alpha=0.1,0.5 (values as JSON, else strings)`);
    }
    if (Object.prototype.hasOwnProperty.call(grid, name)) {
      throw new CliError(`--grid names ${name} twice: give all its values in one --grid ${name}=v1,v2,...`);
    }
    const rest = spec.slice(eq + 1);
    if (rest.trim() === '') throw new CliError(`--grid ${name}= has no values: give at least one, e.g. --grid ${name}=1,2`);
    let values: JsonValue[];
    try {
      const list = JSON.parse(`[${rest}]`) as unknown;
      values = list as JsonValue[];
    } catch {
      values = rest.split(',').map((v) => gridValue(v.trim()));
    }
    grid[name] = values;
  }
  return grid;
}
