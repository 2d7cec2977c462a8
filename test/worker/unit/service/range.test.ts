import { expandRange, rangeLength } from '../../../../worker/src/service/range';
import { InvalidInputError } from '../../../../worker/src/domain/errors';

/** Python's range, written the naive way, to compare against. */
function pythonRange(start: number, stop: number, step: number): number[] {
  const out: number[] = [];
  for (let v = start; step > 0 ? v < stop : v > stop; v += step) {
    out.push(v);
  }
  return out;
}

describe('expandRange', () => {
  it.each([
    [0, 10, 1],
    [0, 10, 3],
    [10, 0, -1],
    [10, 0, -3],
    [5, 5, 1],
    [5, 0, 1],
    [0, 5, -1],
    [-7, 7, 2],
    [3, -4, -2]
  ])('range(%i, %i, %i) matches Python', (start, stop, step) => {
    expect(expandRange({ start, stop, step })).toEqual(pythonRange(start, stop, step));
    expect(rangeLength(start, stop, step)).toBe(pythonRange(start, stop, step).length);
  });

  it('defaults start to 0 and step to 1', () => {
    expect(expandRange({ stop: 3 })).toEqual([0, 1, 2]);
  });

  it('rejects step 0 and more than the limit, allowing exactly the limit', () => {
    expect(() => expandRange({ stop: 1, step: 0 })).toThrow(InvalidInputError);
    expect(expandRange({ stop: 100_000 })).toHaveLength(100_000);
    expect(() => expandRange({ stop: 100_001 })).toThrow('has 100001 elements');
    expect(() => expandRange({ start: 0, stop: Number.MAX_SAFE_INTEGER })).toThrow(InvalidInputError);
    expect(() => expandRange({ start: Number.MAX_SAFE_INTEGER, stop: -Number.MAX_SAFE_INTEGER, step: -1 })).toThrow(InvalidInputError);
  });
});
