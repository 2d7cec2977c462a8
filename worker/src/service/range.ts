/** Expansion of a map's `range` like Python's `range(start, stop, step)`. */
import { InvalidInputError } from '../domain/errors';
import { MAX_MAP_PARAMS } from '../schemas/jobs';

/** Number of elements of `range(start, stop, step)`; `step` must not be 0. */
export function rangeLength(start: number, stop: number, step: number): number {
  if (step > 0) {
    return stop > start ? Math.ceil((stop - start) / step) : 0;
  }
  return start > stop ? Math.ceil((start - stop) / -step) : 0;
}

/**
 * Python's `list(range(start, stop, step))`, bounded.
 * @param limit - most elements allowed
 * @defaultValue start = 0, step = 1, limit = 100000
 * @throws InvalidInputError for step 0 or more than `limit` elements
 */
export function expandRange(
  range: { start?: number; stop: number; step?: number },
  limit = MAX_MAP_PARAMS
): number[] {
  const start = range.start ?? 0;
  const step = range.step ?? 1;
  const { stop } = range;
  const shown = `range(${start}, ${stop}, ${step})`;
  if (step === 0) {
    throw new InvalidInputError(`body/range/step must not be 0 in ${shown}: use 1 to count up or -1 to count down`);
  }
  const length = rangeLength(start, stop, step);
  if (length > limit) {
    throw new InvalidInputError(
      `${shown} has ${length} elements; one map takes at most ${limit}: split it into several maps`
    );
  }
  return Array.from({ length }, (_, i) => start + i * step);
}
