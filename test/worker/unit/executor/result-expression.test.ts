/**
 * Issue 14: the kernel-side conversion of `job['result']` (DEFAULT_RESULT_EXPRESSION), run by the
 * project's Python with numpy: numpy scalars and 0-d arrays come back exactly, NaN, sets,
 * datetimes, bytes and other non-JSON values raise naming the type and the path, never `null`.
 */
import { DEFAULT_RESULT_EXPRESSION } from '../../../../worker/src/executor/returned-value';
import { runPython } from '../notebooks/python';

/** Evaluates the expression in a namespace where `setup` ran; prints `OK <json>` or `ERR <type>: <message>`. */
function evaluate(setup: string): string {
  const code = [
    'import sys',
    'ns = {}',
    'exec(sys.stdin.read(), ns)',
    `expr = ${JSON.stringify(DEFAULT_RESULT_EXPRESSION)}`,
    'try:',
    '    print("OK " + eval(expr, ns))',
    'except Exception as e:',
    '    print(f"ERR {type(e).__name__}: {e}")'
  ].join('\n');
  return runPython(code, setup).trim();
}

describe('the default result expression', () => {
  it.each([
    ['numpy int64 beyond 2**53', 'import numpy as np\njob = {"result": np.int64(2**62 + 1)}', `OK ${2n ** 62n + 1n}`],
    ['numpy float64', 'import numpy as np\njob = {"result": np.float64(0.1)}', 'OK 0.1'],
    ['numpy bool_', 'import numpy as np\njob = {"result": [np.bool_(True), np.bool_(False)]}', 'OK [true,false]'],
    ['a 0-d array', 'import numpy as np\njob = {"result": {"a": np.array(7)}}', 'OK {"a":7}'],
    ['numpy float32, exactly its value', 'import numpy as np\njob = {"result": np.float32(0.1)}', 'OK 0.10000000149011612'],
    ['ints beyond 2**53 and 10**30', 'job = {"result": [2**53 + 1, 10**30]}', 'OK [9007199254740993,1000000000000000000000000000000]'],
    ['1.0, -0.0 and 1', 'job = {"result": [1.0, -0.0, 1]}', 'OK [1.0,-0.0,1]'],
    ['integer-like keys in their order', 'job = {"result": {"2": "b", "1": "a", "x": 0}}', 'OK {"2":"b","1":"a","x":0}'],
    ['no result', 'job = {"param": 1}', 'OK'],
    ['no job', 'x = 1', 'OK']
  ])('converts %s exactly', (_name, setup, expected) => {
    expect(evaluate(setup)).toBe(expected);
  });

  it.each([
    ['a set inside', 'job = {"result": {"x": [0, 1, 2, {3}]}}', "job['result']['x'][3] is a set: return a list"],
    ['NaN', 'job = {"result": float("nan")}', "job['result'] is nan: JSON has no NaN or infinity"],
    ['infinity in numpy', 'import numpy as np\njob = {"result": [np.float64("inf")]}', "job['result'][0] is inf"],
    ['a datetime', 'import datetime\njob = {"result": {"t": datetime.datetime(2020, 1, 2)}}', "job['result']['t'] is a datetime: return .isoformat()"],
    ['bytes', 'job = {"result": b"abc"}', "job['result'] is bytes"],
    ['a non-str key', 'job = {"result": {1: 2}}', "job['result'] is a dict with the key 1 (int)"],
    ['any other object', 'class Point: pass\njob = {"result": [Point()]}', "job['result'][0] is a Point"],
    ['a cycle', 'a = []\na.append(a)\njob = {"result": a}', "job['result'][0] is a reference to a value that contains it"]
  ])('refuses %s, naming the type and the path', (_name, setup, expected) => {
    const out = evaluate(setup);
    expect(out.startsWith('ERR TypeError: ')).toBe(true);
    expect(out).toContain(expected);
  });

  it('does not import numpy when the notebook did not', () => {
    expect(evaluate('import sys\njob = {"result": 1}\nprint("numpy" in sys.modules, file=sys.stderr)')).toBe('OK 1');
    const code = [
      'import sys',
      'ns = {"job": {"result": [1, 2]}}',
      `eval(${JSON.stringify(DEFAULT_RESULT_EXPRESSION)}, ns)`,
      'print("numpy" in sys.modules, sorted(k for k in ns if not k.startswith("__")))'
    ].join('\n');
    // and leaves no name behind in the user namespace
    expect(runPython(code).trim()).toBe("False ['job']");
  });
});
