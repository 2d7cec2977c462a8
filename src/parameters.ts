import { ParameterError } from './errors';
import type { JsonValue, MapParameters } from './types';
import { gridTaskCount, type GridMode } from './grid-values';

/** What the map dialog accepts, said in every error. */
export const PARAMETER_HELP =
  'Write range(stop), range(start, stop[, step]), a JSON list such as [1, 2, "a"] (or just 1, 2, "a"), ' +
  'or a JSON object {"params": [...]}.';

const RANGE = /^range\s*\(([^)]*)\)$/;
const INTEGER = /^[+-]?\d+$/;

/** Number of values `range(start, stop, step)` yields, as Python counts them. */
export function rangeLength(start: number, stop: number, step: number): number {
  const span = step > 0 ? stop - start : start - stop;
  return span <= 0 ? 0 : Math.ceil(span / Math.abs(step));
}

function parseRange(args: string): MapParameters {
  const parts = args.split(',').map(part => part.trim());
  if (parts.length < 1 || parts.length > 3 || parts.some(part => !INTEGER.test(part))) {
    throw new ParameterError(`range() takes one to three integers, got "range(${args})". ${PARAMETER_HELP}`);
  }
  const numbers = parts.map(part => Number.parseInt(part, 10));
  const [start, stop, step] = numbers.length === 1 ? [0, numbers[0], 1] : [numbers[0], numbers[1], numbers[2] ?? 1];
  if (step === 0) {
    throw new ParameterError('range() step must not be zero.');
  }
  if (rangeLength(start, stop, step) === 0) {
    throw new ParameterError(`range(${parts.join(', ')}) is empty: there would be nothing to run.`);
  }
  return { range: { start, stop, step } };
}

function fromJson(value: unknown): MapParameters {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      throw new ParameterError('The list is empty: there would be nothing to run.');
    }
    return { params: value as JsonValue[] };
  }
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (Array.isArray(object.params)) {
      return fromJson(object.params);
    }
    const range = object.range as Record<string, unknown> | undefined;
    if (range && typeof range === 'object' && Number.isInteger(range.stop)) {
      const start = Number.isInteger(range.start) ? (range.start as number) : 0;
      const step = Number.isInteger(range.step) ? (range.step as number) : 1;
      return parseRange(`${start}, ${range.stop}, ${step}`);
    }
  }
  throw new ParameterError(`Parameters must be a list, not ${JSON.stringify(value)}. ${PARAMETER_HELP}`);
}

/**
 * Parses the parameters a person typed in the map dialog.
 *
 * @example
 * parseParameters('range(2, 10, 2)') // { range: { start: 2, stop: 10, step: 2 } }
 * parseParameters('[1, "a", {"x": 2}]') // { params: [1, 'a', { x: 2 }] }
 * @throws ParameterError with a message that says what is accepted
 */
export function parseParameters(text: string): MapParameters {
  const source = text.trim();
  if (!source) {
    throw new ParameterError(`No parameters given. ${PARAMETER_HELP}`);
  }
  const range = RANGE.exec(source);
  if (range) {
    return parseRange(range[1]);
  }
  const attempts = source.startsWith('[') || source.startsWith('{') ? [source] : [`[${source}]`];
  let reason = '';
  for (const attempt of attempts) {
    try {
      return fromJson(JSON.parse(attempt));
    } catch (error) {
      if (error instanceof ParameterError) {
        throw error;
      }
      reason = (error as Error).message;
    }
  }
  throw new ParameterError(`Cannot read the parameters (${reason}). ${PARAMETER_HELP}`);
}

/** How many tasks a map with these parameters makes. */
export function parameterCount(parameters: MapParameters & { mode?: GridMode }): number {
  if ('grid' in parameters) {
    return gridTaskCount(parameters.grid, parameters.mode ?? 'product');
  }
  return 'params' in parameters
    ? parameters.params.length
    : rangeLength(parameters.range.start, parameters.range.stop, parameters.range.step);
}
