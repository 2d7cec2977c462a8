// The JSON codec the job service stores parameters and results with (worker/src/domain/json-bytes).
import { InvalidInputError } from '../../../../worker/src/domain/errors';
import { decodeJson, encodeJson } from '../../../../worker/src/domain/json-bytes';
import { runPython } from '../notebooks/python';

describe('stored JSON bytes', () => {
  it('writes what JSON.stringify writes for finite values', () => {
    const v = { a: [1, 2.5, 'x\u0000y', null, true, { 'b.c': [[1], []] }], '': 'ü😀' };
    expect(encodeJson(v).toString('utf8')).toBe(JSON.stringify(v));
    expect(decodeJson(encodeJson(v))).toEqual(v);
  });

  it('keeps NaN and ±Infinity as Python json writes them, and reads them back', () => {
    const v = { nan: NaN, inf: Infinity, ninf: -Infinity, s: 'NaN Infinity', l: [NaN] };
    const text = encodeJson(v).toString('utf8');
    expect(text).toBe('{"nan":NaN,"inf":Infinity,"ninf":-Infinity,"s":"NaN Infinity","l":[NaN]}');
    expect(decodeJson(encodeJson(v))).toEqual(v);
    const fromPython = runPython(
      "import json; print(json.dumps({'x': [float('nan'), float('inf'), -float('inf')], 's': 'a \"NaN\" \\\\'}))"
    );
    expect(decodeJson(fromPython)).toEqual({ x: [NaN, Infinity, -Infinity], s: 'a "NaN" \\' });
    expect(runPython('import json,sys; print(json.loads(sys.stdin.read()))', text).trim()).toBe(
      "{'nan': nan, 'inf': inf, 'ninf': -inf, 's': 'NaN Infinity', 'l': [nan]}"
    );
  });

  it('rejects what is not JSON, naming where', () => {
    expect(() => encodeJson([1, { a: undefined }], 'params')).toThrow(InvalidInputError);
    expect(() => encodeJson([1, { a: undefined }], 'params')).toThrow('params[1]["a"] is undefined');
    expect(() => encodeJson(Symbol('s'))).toThrow(/symbol/);
    expect(() => encodeJson(new Map())).toThrow(/Map object/);
    expect(() => decodeJson('{bad')).toThrow(SyntaxError);
  });
});
