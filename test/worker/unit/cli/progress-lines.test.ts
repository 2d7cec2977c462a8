import { cellsText, linesAfter, newTailLines, outputLines } from '../../../../worker/src/cli/progress-lines';
import type { IStatusRow } from '../../../../worker/src/domain/types';

describe('progress lines of the CLI', () => {
  it('prints only the new lines of a moving tail', () => {
    expect(newTailLines([], ['a', 'b'])).toEqual(['a', 'b']);
    expect(newTailLines(['a', 'b', 'c'], ['c', 'd', 'e'])).toEqual(['d', 'e']);
    expect(newTailLines(['a', 'b'], ['a', 'b'])).toEqual([]);
    expect(newTailLines(['a', 'b'], ['x', 'y'])).toEqual(['x', 'y']);
  });

  it('finds what a run printed after the last tail shown', () => {
    expect(linesAfter(['b', 'c'], ['a', 'b', 'c', 'd'])).toEqual(['d']);
    expect(linesAfter(['x', 'c'], ['a', 'b', 'c', 'd'])).toEqual(['d']);
    expect(linesAfter([], ['a'])).toEqual(['a']);
    expect(outputLines('a\nb\r50%\r100%\nc\n')).toEqual(['a', '100%', 'c']);
  });

  it('sums the cells of the running tasks', () => {
    const row = (progress: IStatusRow['progress']) => ({ progress }) as IStatusRow;
    expect(cellsText([row({ done: 1, total: 3, cell: null }), row({ done: 2, total: 3, cell: null }), row(null)])).toBe('cells 3/6 in 2 running');
    expect(cellsText([row(undefined)])).toBe('');
  });
});
