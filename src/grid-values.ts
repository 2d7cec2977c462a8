/**
 * The values a person types for one grid parameter in the Map dialog, and the grid they make:
 * `0.1, 0.5`, a JSON list `[1, [2, 3]]`, or `range(1, 10, 2)`; values are JSON when they parse,
 * else strings (`a, b` gives "a" and "b"), the rule of `nbgrid map --grid`.
 */
import { ParameterError } from './errors';
import type { JsonValue } from './types';

/** Python's len(range(start, stop, step)) (parameters.ts has the same; importing it would be a cycle). */
function rangeLength(start: number, stop: number, step: number): number {
  const span = step > 0 ? stop - start : start - stop;
  return span <= 0 ? 0 : Math.ceil(span / Math.abs(step));
}

const RANGE = /^range\s*\(([^)]*)\)$/;
const INTEGER = /^[+-]?\d+$/;

/** One parameter's values from what was typed. @throws ParameterError saying what is accepted */
export function parseValueList(text: string): JsonValue[] {
  const source = text.trim();
  if (!source) {
    throw new ParameterError('No values given: type a list such as 0.1, 0.5 or range(1, 4).');
  }
  const range = RANGE.exec(source);
  if (range) {
    const parts = range[1].split(',').map(p => p.trim());
    if (parts.length < 1 || parts.length > 3 || parts.some(p => !INTEGER.test(p))) {
      throw new ParameterError(`range() takes one to three integers, got "${source}".`);
    }
    const n = parts.map(p => Number.parseInt(p, 10));
    const [start, stop, step] = n.length === 1 ? [0, n[0], 1] : [n[0], n[1], n[2] ?? 1];
    if (step === 0) {
      throw new ParameterError('range() step must not be zero.');
    }
    const length = rangeLength(start, stop, step);
    if (length === 0) {
      throw new ParameterError(`${source} is empty: give it at least one value.`);
    }
    if (length > 100000) {
      throw new ParameterError(`${source} has ${length} values; one map takes at most 100000 tasks.`);
    }
    return Array.from({ length }, (_, i) => start + i * step);
  }
  try {
    const list = JSON.parse(source.startsWith('[') ? source : `[${source}]`) as unknown;
    if (Array.isArray(list) && list.length > 0) {
      return list as JsonValue[];
    }
  } catch {
    // not one JSON list: split at commas below
  }
  return source.split(',').map(part => {
    const value = part.trim();
    try {
      return JSON.parse(value) as JsonValue;
    } catch {
      return value;
    }
  });
}

/** How a grid's lists combine. */
export type GridMode = 'product' | 'zip';

/** The grid of the filled-in parameters (in the order given); empty when none is filled. */
export function gridOf(values: Record<string, string>): Record<string, JsonValue[]> {
  const grid: Record<string, JsonValue[]> = {};
  for (const [name, text] of Object.entries(values)) {
    if (text.trim()) {
      try {
        grid[name] = parseValueList(text);
      } catch (error) {
        throw new ParameterError(`${name}: ${(error as Error).message}`);
      }
    }
  }
  return grid;
}

/** Number of tasks of a grid. @throws ParameterError for zip lists of different lengths */
export function gridTaskCount(grid: Record<string, JsonValue[]>, mode: GridMode = 'product'): number {
  const lists = Object.entries(grid);
  if (lists.length === 0) {
    return 0;
  }
  if (mode === 'zip') {
    const lengths = new Set(lists.map(([, values]) => values.length));
    if (lengths.size > 1) {
      throw new ParameterError(
        `Pairwise needs lists of one length: ${lists.map(([name, v]) => `${name} has ${v.length}`).join(', ')}.`
      );
    }
    return lists[0][1].length;
  }
  return lists.reduce((n, [, values]) => n * values.length, 1);
}
