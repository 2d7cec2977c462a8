import { ParameterError } from '../../src/errors';
import { parameterCount, parseParameters, rangeLength } from '../../src/parameters';

describe('parseParameters', () => {
  it('reads range(stop), range(start, stop) and range(start, stop, step)', () => {
    expect(parseParameters('range(4)')).toEqual({ range: { start: 0, stop: 4, step: 1 } });
    expect(parseParameters(' range( 2, 10 ) ')).toEqual({ range: { start: 2, stop: 10, step: 1 } });
    expect(parseParameters('range(2, 10, 2)')).toEqual({ range: { start: 2, stop: 10, step: 2 } });
    expect(parseParameters('range(10, 0, -3)')).toEqual({ range: { start: 10, stop: 0, step: -3 } });
  });

  it('counts a range as Python does', () => {
    expect(rangeLength(0, 4, 1)).toBe(4);
    expect(rangeLength(2, 10, 2)).toBe(4);
    expect(rangeLength(2, 11, 2)).toBe(5);
    expect(rangeLength(10, 0, -3)).toBe(4);
    expect(parameterCount(parseParameters('range(2, 10, 2)'))).toBe(4);
    expect(parameterCount(parseParameters('[1, 2, 3]'))).toBe(3);
  });

  it('reads JSON lists of any values, with or without brackets', () => {
    expect(parseParameters('[1, "a", {"x": [1, 2]}, null, 2.5]')).toEqual({
      params: [1, 'a', { x: [1, 2] }, null, 2.5]
    });
    expect(parseParameters('1, 2, "three"')).toEqual({ params: [1, 2, 'three'] });
    expect(parseParameters('[[1, 2], [3, 4]]')).toEqual({ params: [[1, 2], [3, 4]] });
  });

  it('reads JSON objects holding params or a range', () => {
    expect(parseParameters('{"params": [true, false]}')).toEqual({ params: [true, false] });
    expect(parseParameters('{"range": {"stop": 3}}')).toEqual({ range: { start: 0, stop: 3, step: 1 } });
  });

  it.each([
    ['', /No parameters given/],
    ['range(0)', /is empty/],
    ['range(1, 5, 0)', /step must not be zero/],
    ['range(1.5)', /one to three integers/],
    ['range(1, 2, 3, 4)', /one to three integers/],
    ['[]', /list is empty/],
    ['{"a": 1}', /must be a list/],
    ["[1, 'a']", /Cannot read the parameters/],
    ['range(4', /Cannot read the parameters/]
  ])('rejects %j with a message that says what is accepted', (text, message) => {
    expect(() => parseParameters(text)).toThrow(ParameterError);
    expect(() => parseParameters(text)).toThrow(message);
  });

  it('names the accepted forms in parse errors', () => {
    expect(() => parseParameters('hello')).toThrow(/range\(stop\).*JSON list/);
  });
});
