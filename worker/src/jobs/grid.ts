/**
 * Expansion of a parameter grid (`job.grid(alpha=[0.1, 0.5], n=[10, 100])`) into one object per
 * task: the cartesian product in `itertools.product` order (the last parameter varies fastest), or
 * the values paired by position (`mode: 'zip'`). The size is computed and checked before a single
 * task is built, so a grid of 10^12 combinations is refused at once.
 */
import { InvalidInputError } from '../domain/errors';
import { MAX_PARAMS } from './map-options';

/** How a grid's value lists combine. */
export type GridMode = 'product' | 'zip';

/** The grid's parameters in the order given, each with its list of values. */
export type GridEntries<T> = [name: string, values: T[]][];

/** What the body's `grid` looks like once parsed (key order kept). */
export type Grid<T> = Record<string, T[]>;

/** The values a map of `grid` would get, as lists of `[name, value]` pairs in the grid's key order. */
export type GridPoint<T> = [name: string, value: T][];

/** The grid's entries in key order; checks that it has parameters, each with a non-empty list. */
export function gridEntries<T>(grid: Grid<T> | GridEntries<T>): GridEntries<T> {
  const entries: GridEntries<T> = Array.isArray(grid) ? grid : Object.entries(grid);
  if (entries.length === 0) {
    throw new InvalidInputError('grid is empty: give at least one parameter with a list of values, e.g. {"alpha": [0.1, 0.5]}');
  }
  for (const [name, values] of entries) {
    if (name === '') throw new InvalidInputError('grid has a parameter with an empty name: name every parameter');
    if (!Array.isArray(values)) {
      throw new InvalidInputError(`grid/${name} must be a list of values, e.g. {"${name}": [1, 2, 3]}`);
    }
    if (values.length === 0) {
      throw new InvalidInputError(`grid/${name} is an empty list, so the grid has no task: give it at least one value (or leave it out)`);
    }
  }
  return entries;
}

/** Number of tasks `grid` expands to under `mode` (a float, so a huge product does not wrap). */
export function gridSize<T>(grid: Grid<T> | GridEntries<T>, mode: GridMode = 'product'): number {
  const entries = gridEntries(grid);
  if (mode === 'zip') {
    const [first, ...rest] = entries;
    for (const [name, values] of rest) {
      if (values.length !== first[1].length) {
        throw new InvalidInputError(
          `mode zip pairs values by position, but grid/${first[0]} has ${first[1].length} values and grid/${name} has ${values.length}: ` +
            'give lists of the same length, or use mode product for every combination'
        );
      }
    }
    return first[1].length;
  }
  if (mode !== 'product') throw new InvalidInputError(`mode must be 'product' or 'zip', got ${JSON.stringify(mode)}`);
  return entries.reduce((n, [, values]) => n * values.length, 1);
}

/**
 * The tasks' parameters of `grid`: product order (as `itertools.product`) or zipped.
 * @param limit - most tasks allowed @defaultValue 100000 (one map's limit)
 * @throws InvalidInputError for an empty grid, an empty list, zip lists of different lengths, or
 * more than `limit` tasks (checked before anything is built)
 */
export function expandGridPoints<T>(grid: Grid<T> | GridEntries<T>, mode: GridMode = 'product', limit = MAX_PARAMS): GridPoint<T>[] {
  const entries = gridEntries(grid);
  const size = gridSize(entries, mode);
  if (size > limit) {
    const shape = entries.map(([, v]) => v.length).join(' × ');
    throw new InvalidInputError(
      `the grid expands to ${size} tasks (${mode === 'zip' ? 'zip of' : 'product'} ${shape}); one map takes at most ${limit}: split it into several maps`
    );
  }
  const points: GridPoint<T>[] = [];
  if (mode === 'zip') {
    for (let i = 0; i < size; i++) points.push(entries.map(([name, values]) => [name, values[i]]));
    return points;
  }
  // An odometer over the lists, the last digit turning fastest: itertools.product's order.
  const digits = entries.map(() => 0);
  for (let n = 0; n < size; n++) {
    points.push(entries.map(([name, values], k) => [name, values[digits[k]]]));
    for (let k = entries.length - 1; k >= 0; k--) {
      digits[k] += 1;
      if (digits[k] < entries[k][1].length) break;
      digits[k] = 0;
    }
  }
  return points;
}

/** `expandGridPoints` as one object per task, `{alpha: .., n: ..}` (keys in the grid's order). */
export function expandGrid<T>(grid: Grid<T> | GridEntries<T>, mode: GridMode = 'product', limit = MAX_PARAMS): Record<string, T>[] {
  return expandGridPoints(grid, mode, limit).map((point) => {
    const obj: Record<string, T> = {};
    for (const [name, value] of point) obj[name] = value;
    return obj;
  });
}
