import type { JsonValue } from '../domain/types';
import { CliError } from './api-client';

/** `--range`: `10`, `2:10`, `0:10:2`, or Python's `range(0, 10, 2)`; sent to the API as a range spec. */
export function parseRange(text: string): { start: number; stop: number; step: number } {
  const inner = text.trim().replace(/^range\((.*)\)$/, '$1');
  const parts = inner.split(/[:,]/).map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => p === '') || nums.some((n) => !Number.isInteger(n))) {
    throw new CliError(`--range "${text}" is not a range: use N, START:STOP, START:STOP:STEP or range(START, STOP, STEP) with integers`);
  }
  const [start, stop, step] = parts.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
  if (step === 0) throw new CliError(`--range "${text}": step must not be 0`);
  return { start, stop, step };
}

/** `--params`: a JSON array, each element one task's parameter. */
export function parseParams(text: string): JsonValue[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(`--params is not valid JSON (${(err as Error).message}): pass a JSON array such as '[1, "a", {"x": 2}]'`);
  }
  if (!Array.isArray(value)) throw new CliError('--params must be a JSON array: one element per task');
  return value as JsonValue[];
}
