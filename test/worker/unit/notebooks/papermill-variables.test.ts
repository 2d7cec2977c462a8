import { InvalidInputError } from '../../../../worker/src/domain/errors';
import { JsonText } from '../../../../worker/src/domain/json-bytes';
import { renderTaskNotebook } from '../../../../worker/src/notebooks/inject-parameters';
import {
  isVariableName,
  MAX_INT_DIGITS,
  MAX_LITERAL_DEPTH,
  papermillAssignments,
  pythonFloatRepr
} from '../../../../worker/src/notebooks/papermill-variables';
import { runPython } from './python';

// The reference: papermill's own PythonTranslator (installed in .venv) given what json.loads
// reads from the same text. Translator.codify is called directly, so black (which papermill uses
// only when installed) never reformats. Then Python runs our lines and compares each variable
// with json.loads' value: equal, same types, same key order.
const REFERENCE = String.raw`
import json, keyword, math, sys, unicodedata
from papermill.translators import PythonTranslator, Translator
def variable(k):
    return (k.isidentifier() and not keyword.iskeyword(k) and k not in ('job', '__debug__')
            and unicodedata.normalize('NFKC', k) == k)
def same(a, b):
    if isinstance(b, float) and math.isnan(b):
        return isinstance(a, float) and math.isnan(a)
    if type(a) is not type(b):
        return False
    if isinstance(b, float) and b == 0:
        return math.copysign(1, a) == math.copysign(1, b)
    if isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in b)
    return a == b
for line in sys.stdin:
    case = json.loads(line)
    value = json.loads(case['text'])
    params = {k: v for k, v in value.items() if variable(k)} if isinstance(value, dict) else {}
    pm = Translator.codify.__func__(PythonTranslator, params) if params else '# Parameters\n'
    pm = pm[len('# Parameters\n'):]
    scope = {}
    exec(case['ours'], scope)
    values_ok = all(same(scope[k], v) for k, v in params.items())
    keys = {k: variable(k) for k in (value if isinstance(value, dict) else {})}
    print(json.dumps({'pm': pm, 'values_ok': values_ok, 'keys': keys}))
`;

const CASES: string[] = [
  '{"alpha": 0.5, "n": 10}',
  '{"a": 1.0, "b": -0.0, "c": -0, "d": 1e5, "e": 1E-7, "f": 123456789012345678901234567890, "g": 2.5e16, "h": 1e400, "i": -1e400}',
  '{"f1": 0.1, "f2": 0.0001, "f3": 0.00001, "f4": 1e15, "f5": 1e16, "f6": 1234567890123456.7, "f7": 5e-324, "f8": 1.7976931348623157e308, "f9": 100.0, "f10": 1.5}',
  '{"s": "it\'s \\"x\\"", "t": "a\\\\b\\n\\r\\t", "u": "caf\\u00e9 \\u4e2d\\u6587 \\ud83d\\ude00", "v": "nul\\u0000 \\u001f \\u007f \\u0085 \\u2028", "w": "\\ud800 lone"}',
  '{"none": null, "yes": true, "no": false, "lst": [1, [2.0, "x"], {"k": null}], "d": {"2": 1, "1": {"z": []}, "": 0}}',
  '{"dup": 1, "other": 2, "dup": 3}',
  '{"class": 1, "a-b": 2, "1x": 3, "job": 4, "__debug__": 5, "ﬁ": 6, "é": 7, "_": 8, "match": 9, "x y": 10, "中文": 11, "ok": 12}',
  '[1, 2]',
  '"text"',
  '42',
  '{}',
  ' { "spaced" : [ 1 , 2 ] , "x" : { } } '
];

describe('papermillAssignments matches papermill PythonTranslator', () => {
  it('writes what papermill writes for json.loads of the same text, and Python reads back the same values', () => {
    const input = CASES.map((text) => JSON.stringify({ text, ours: papermillAssignments(text) })).join('\n');
    const lines = runPython(REFERENCE, input).trim().split('\n');
    expect(lines).toHaveLength(CASES.length);
    lines.forEach((line, i) => {
      const r = JSON.parse(line) as { pm: string; values_ok: boolean; keys: Record<string, boolean> };
      expect(`${i}: ${papermillAssignments(CASES[i])}`).toBe(`${i}: ${r.pm}`);
      expect(`${i}: ${r.values_ok}`).toBe(`${i}: true`);
      for (const [key, variable] of Object.entries(r.keys)) expect(`${key}: ${isVariableName(key)}`).toBe(`${key}: ${variable}`);
    });
  });

  it('writes the papermill spelling of the simple cases', () => {
    expect(papermillAssignments('{"alpha": 0.5, "n": 10, "name": "x", "on": true, "off": null, "xs": [1, 2.0]}')).toBe(
      'alpha = 0.5\nn = 10\nname = "x"\non = True\noff = None\nxs = [1, 2.0]\n'
    );
    expect(papermillAssignments('{"a": 1e400, "b": -1e400}')).toBe("a = float('inf')\nb = float('-inf')\n");
    expect(papermillAssignments('{"d": {"k": "v"}}')).toBe('d = {"k": "v"}\n');
    expect(papermillAssignments('[{"a": 1}]')).toBe('');
  });

  it('keeps keywords, non-identifiers and job out of the variables', () => {
    expect(papermillAssignments('{"class": 1, "a-b": 2, "job": 3, "ok": 4}')).toBe('ok = 4\n');
  });

  it('spells floats as Python repr does', () => {
    const cases = [0.1, 1e-5, 1e16, 1.5e16, 1e22, 123.456, 1e15, -2.5, 5e-324, 1 / 3, 2 ** 60, 0.0001, 12345678.9];
    const py = runPython('import sys, json\nfor v in json.loads(sys.stdin.read()): print(repr(float(v)))', JSON.stringify(cases)).trim().split('\n');
    expect(cases.map(pythonFloatRepr)).toEqual(py);
    expect(pythonFloatRepr(-0)).toBe('-0.0');
  });
});

describe('values a Python literal cannot hold exactly are refused, naming the parameter', () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it(`takes ${MAX_LITERAL_DEPTH} levels (Python compiles them) and refuses one more`, () => {
    const ok = papermillAssignments(`{"deep": ${nested(MAX_LITERAL_DEPTH)}}`, 'params[0]');
    expect(runPython('import sys\nexec(sys.stdin.read()); print(type(deep).__name__)', ok).trim()).toBe('list');
    expect(() => papermillAssignments(`{"deep": ${nested(MAX_LITERAL_DEPTH + 1)}}`, 'params[3]')).toThrow(InvalidInputError);
    expect(() => papermillAssignments(`{"deep": ${nested(MAX_LITERAL_DEPTH + 1)}}`, 'params[3]')).toThrow(/params\[3\]\["deep"\]/);
    // a key that is no variable keeps the value in job['param'] only: nothing to refuse
    expect(papermillAssignments(`{"not-a-name": ${nested(MAX_LITERAL_DEPTH + 1)}}`, 'params[3]')).toBe('');
  });

  it(`takes ints of ${MAX_INT_DIGITS} digits and refuses longer ones`, () => {
    const ok = papermillAssignments(`{"n": -${'9'.repeat(MAX_INT_DIGITS)}}`);
    expect(runPython('import sys\nexec(sys.stdin.read()); print(len(str(-n)))', ok).trim()).toBe(String(MAX_INT_DIGITS));
    expect(() => papermillAssignments(`{"big": [1, ${'9'.repeat(MAX_INT_DIGITS + 1)}]}`, 'params[7]')).toThrow(/params\[7\]\["big"\]\[1\].*4301 digits/);
  });
});

describe('the injected cell', () => {
  const main = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: [{ id: 'p', cell_type: 'code', source: 'alpha = 0.1\nn = 1', metadata: { tags: ['parameters'] }, outputs: [], execution_count: null }]
  };

  it('defines job as before and the papermill variables after it', () => {
    const text = '{"alpha": 1.0, "n": 100, "class": "kept in job"}';
    const nb = renderTaskNotebook(main, { param: new JsonText(text), job_id: 2, task_group: 'abcdef01', task_name: 'tasks/m/abcdef01-2' });
    const cell = (nb.cells as { source: string; metadata: { tags: string[] } }[])[1];
    expect(cell.metadata.tags).toEqual(['injected-parameters']);
    expect(cell.source).toMatch(/^# Parameters\njob = __import__\('json'\)\.loads\('.*'\)\nalpha = 1\.0\nn = 100\n$/);
    const out = runPython(
      'import sys, json\nscope = {}\nexec(sys.stdin.read(), scope)\nprint(json.dumps([scope["job"], repr(scope["alpha"]), scope["n"], "class" in scope]))',
      cell.source
    );
    expect(JSON.parse(out)).toEqual([
      { param: { alpha: 1, n: 100, class: 'kept in job' }, job_id: 2, task_group: 'abcdef01', task_name: 'tasks/m/abcdef01-2' },
      '1.0',
      100,
      false
    ]);
  });

  it('adds nothing for a parameter that is not an object', () => {
    const nb = renderTaskNotebook(main, { param: new JsonText('[1, 2]'), job_id: 0, task_group: 'abcdef01', task_name: 'tasks/m/abcdef01-0' });
    expect((nb.cells as { source: string }[])[1].source.split('\n')).toHaveLength(3);
  });
});
