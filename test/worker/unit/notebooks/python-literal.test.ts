import { InvalidInputError } from '../../../../worker/src/domain/errors';
import { pythonLiteral } from '../../../../worker/src/notebooks/python-literal';
import { encodeJson } from '../../../../worker/src/domain/json-bytes';
import { runPython } from './python';

// Python evaluates each literal and compares it with json.loads of the same value: equal, same
// types (a JSON number too large for a double's integer range is an int on our side, on purpose).
const CHECK = String.raw`
import json, math, sys
def same(a, b):
    if isinstance(b, float) and math.isnan(b):
        return isinstance(a, float) and math.isnan(a)
    if isinstance(b, float) and b.is_integer() and abs(b) >= 2**53:
        return isinstance(a, int) and a == int(b)
    if type(a) is not type(b):
        return False
    if isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in b)
    return a == b
for line in sys.stdin:
    case = json.loads(line)
    value = eval(case['lit'], {'__builtins__': {'float': float}})
    print('ok' if same(value, json.loads(case['json'])) else 'DIFF ' + repr(value) + ' vs ' + case['json'])
`;

const VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -0,
  7,
  -12345678901,
  2 ** 53,
  2 ** 53 + 2,
  1e21,
  -1.7976931348623157e308,
  0.1,
  1 / 3,
  1.5e-7,
  5e-324,
  123456.789e10,
  NaN,
  Infinity,
  -Infinity,
  '',
  "it's",
  'say "hi"',
  `both ' and " and \\ and \\'`,
  'line1\nline2\r\nline3\ttab',
  'nul\u0000byte and \u0001 \u001f \u007f \u0085 \u2028 \u2029 \ufeff',
  'unicode: é ü 中文 😀 \u{1F600}',
  'lone surrogate \ud800 here',
  '\\x00 is not NUL',
  "'''triple'''",
  [1, [2, [3, []]], { a: [{}] }],
  { 'key with \'quote': 1, nested: { list: [1.5, 'x', null, true] }, '': 0, 'with\nnewline': 'v' },
  { param: [[0, 1], [2, 3]], job_id: 3, task_group: 'ab12cd34', task_name: 'tasks/main/ab12cd34-3' }
];

describe('pythonLiteral', () => {
  it('evaluates in Python to the same value and types', () => {
    const input = VALUES.map((v) => JSON.stringify({ lit: pythonLiteral(v), json: encodeJson(v).toString('utf8') })).join('\n');
    const lines = runPython(CHECK, input).trim().split('\n');
    expect(lines).toHaveLength(VALUES.length);
    lines.forEach((line, i) => expect(`${i}: ${line}`).toBe(`${i}: ok`));
  });

  it('writes the expected source for the simple cases', () => {
    expect(pythonLiteral({ a: [1, 2.5, null, true, false] })).toBe("{'a': [1, 2.5, None, True, False]}");
    expect(pythonLiteral(NaN)).toBe("float('nan')");
    expect(pythonLiteral(Infinity)).toBe("float('inf')");
    expect(pythonLiteral(-Infinity)).toBe("-float('inf')");
    expect(pythonLiteral(1e21)).toBe('1000000000000000000000');
    expect(pythonLiteral(BigInt('123456789012345678901234567890'))).toBe('123456789012345678901234567890');
    expect(pythonLiteral('a\u0000b')).toBe("'a\\x00b'");
  });

  it('keeps every literal on one source line', () => {
    for (const v of VALUES) expect(pythonLiteral(v)).not.toMatch(/[\n\r\u2028\u2029\u0085]/);
  });

  it('rejects values that are not JSON, naming where', () => {
    expect(() => pythonLiteral({ a: [1, undefined] })).toThrow(InvalidInputError);
    expect(() => pythonLiteral({ a: [1, undefined] })).toThrow('[1]');
    expect(() => pythonLiteral({ f: () => 1 })).toThrow(/function/);
    expect(() => pythonLiteral(new Date())).toThrow(/Date/);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => pythonLiteral(loop)).toThrow(/circular/);
  });
});
