import { parseGridOptions } from '../../../../worker/src/cli/grid-option';

describe('nbgrid map --grid', () => {
  it('reads values as JSON, else as strings', () => {
    expect(parseGridOptions(['alpha=0.1,0.5', 'n=10,100'])).toEqual({ alpha: [0.1, 0.5], n: [10, 100] });
    expect(parseGridOptions(['name=a,b', 'mixed=1,abc,true'])).toEqual({ name: ['a', 'b'], mixed: [1, 'abc', true] });
    expect(parseGridOptions(['cfg=[1,2],[3]', 's="a,b","c"'])).toEqual({ cfg: [[1, 2], [3]], s: ['a,b', 'c'] });
    expect(parseGridOptions(['x=1'])).toEqual({ x: [1] });
  });

  it('says what is wrong', () => {
    expect(() => parseGridOptions(['alpha'])).toThrow(/is not NAME=VALUES/);
    expect(() => parseGridOptions(['=1'])).toThrow(/is not NAME=VALUES/);
    expect(() => parseGridOptions(['a='])).toThrow(/has no values/);
    expect(() => parseGridOptions(['a=1', 'a=2'])).toThrow(/names a twice/);
  });
});
