import { InvalidInputError } from '../../../../worker/src/domain/errors';
import { expandGrid, gridSize } from '../../../../worker/src/jobs/grid';
import { gridParams } from '../../../../worker/src/service/grid-body';

describe('grid expansion', () => {
  it('is the cartesian product in itertools.product order, each parameter an object', () => {
    expect(expandGrid({ alpha: [0.1, 0.5], n: [10, 100] })).toEqual([
      { alpha: 0.1, n: 10 },
      { alpha: 0.1, n: 100 },
      { alpha: 0.5, n: 10 },
      { alpha: 0.5, n: 100 }
    ]);
    const three = expandGrid({ a: [1, 2], b: ['x', 'y', 'z'], c: [true] });
    expect(three).toHaveLength(6);
    expect(three.map((p) => `${p.a}${p.b}`)).toEqual(['1x', '1y', '1z', '2x', '2y', '2z']);
  });

  it('keeps values of any JSON type, nested ones included', () => {
    expect(expandGrid({ cfg: [{ k: [1, 2] }, null], s: ['a'] })).toEqual([
      { cfg: { k: [1, 2] }, s: 'a' },
      { cfg: null, s: 'a' }
    ]);
  });

  it('zip pairs the i-th values', () => {
    expect(expandGrid({ alpha: [0.1, 0.5, 0.9], n: [10, 100, 1000] }, 'zip')).toEqual([
      { alpha: 0.1, n: 10 },
      { alpha: 0.5, n: 100 },
      { alpha: 0.9, n: 1000 }
    ]);
  });

  it('refuses zip lists of different lengths, naming both', () => {
    expect(() => expandGrid({ alpha: [0.1, 0.5], n: [10, 100, 1000] }, 'zip')).toThrow(
      /mode zip .* grid\/alpha has 2 values and grid\/n has 3.*same length.*mode product/
    );
  });

  it('refuses an empty grid and an empty list', () => {
    expect(() => expandGrid({})).toThrow(/grid is empty: give at least one parameter/);
    expect(() => expandGrid({ a: [1], b: [] })).toThrow(/grid\/b is an empty list/);
    expect(() => expandGrid({ a: [] }, 'zip')).toThrow(InvalidInputError);
  });

  it('refuses a grid over the limit before building anything', () => {
    // 10^20 combinations: computed as a size, never built.
    const huge = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`p${i}`, Array.from({ length: 10 }, (_, j) => j)]));
    expect(gridSize(huge)).toBe(1e20);
    expect(() => expandGrid(huge)).toThrow(/expands to 100000000000000000000 tasks \(product 10 × 10 .*at most 100000/);
    expect(() => expandGrid({ a: [1, 2, 3], b: [1, 2] }, 'product', 5)).toThrow(/6 tasks \(product 3 × 2\); one map takes at most 5/);
    expect(expandGrid({ a: [1, 2, 3], b: [1, 2] }, 'product', 6)).toHaveLength(6);
  });

  it('refuses an unknown mode', () => {
    expect(() => gridSize({ a: [1] }, 'cross' as never)).toThrow(/mode must be 'product' or 'zip'/);
  });
});

describe('a map body with a grid', () => {
  it('expands to parameters, product by default', () => {
    expect(gridParams({ grid: { a: [1, 2], b: ['x'] } }).params).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: 'x' }
    ]);
  });

  it('refuses grid beside params or range, and mode without grid', () => {
    expect(() => gridParams({ grid: { a: [1] }, params: [1] })).toThrow(/grid and also params or range/);
    expect(() => gridParams({ grid: { a: [1] }, range: { stop: 3 } })).toThrow(/grid and also params or range/);
    expect(() => gridParams({ mode: 'zip' })).toThrow(/mode but no grid/);
  });
});
