/**
 * A map body's `grid` (with `mode`) as the tasks' parameters: one object per task, expanded here
 * from the body's own JSON text where the service has it, so each value reaches the notebook
 * exactly as sent (JavaScript numbers would turn 1e400 or a 20-digit integer into something else).
 */
import { InvalidInputError } from '../domain/errors';
import { JsonText } from '../domain/json-bytes';
import { jsonArrayElements, jsonMemberText } from '../domain/json-spans';
import type { JsonValue } from '../domain/types';
import { expandGridPoints, gridEntries, gridSize, type GridEntries, type GridMode } from '../jobs/grid';
import { bodySource } from './json-body';

/** The part of a map body a grid uses. */
export interface IGridBody {
  grid?: Record<string, JsonValue[]>;
  mode?: GridMode;
  params?: unknown;
  range?: unknown;
}

/** The parameters of a grid map, and their exact texts when the body's text is known. */
export interface IGridParams {
  params: JsonValue[];
  exact?: JsonText[];
}

/** The grid's lists as JSON texts from the body's source, or undefined when it is not at hand. */
function gridTexts(body: IGridBody, names: string[]): GridEntries<string> | undefined {
  const source = bodySource(body);
  if (source === undefined) return undefined;
  const gridText = jsonMemberText(source, 'grid');
  if (gridText === undefined) return undefined;
  const out: GridEntries<string> = [];
  for (const name of names) {
    const list = jsonMemberText(gridText, name);
    if (list === undefined) return undefined;
    out.push([name, jsonArrayElements(list)]);
  }
  return out;
}

/**
 * Expand `body.grid` under `body.mode` (product by default), size checked before anything is
 * built. @throws InvalidInputError for a grid beside params or range, mode without grid, an empty
 * grid or list, zip lists of different lengths, or more tasks than one map takes
 */
export function gridParams(body: IGridBody): IGridParams {
  if (body.grid === undefined) throw new InvalidInputError('body has mode but no grid: mode says how a grid combines; give grid too');
  if (body.params !== undefined || body.range !== undefined) {
    throw new InvalidInputError('body has grid and also params or range: give one of them; a grid makes its own parameters');
  }
  const mode = body.mode ?? 'product';
  const entries = gridEntries(body.grid);
  gridSize(entries, mode);
  const points = expandGridPoints(entries, mode);
  const params = points.map((point) => Object.fromEntries(point) as JsonValue);
  const texts = gridTexts(
    body,
    entries.map(([name]) => name)
  );
  // The body was validated from the same text, so the lengths agree; if not, the values are used.
  if (!texts || texts.some(([, values], k) => values.length !== entries[k][1].length)) return { params };
  const exact = expandGridPoints(texts, mode).map(
    (point) => new JsonText(`{${point.map(([name, text]) => `${JSON.stringify(name)}:${text}`).join(',')}}`)
  );
  return { params, exact };
}
