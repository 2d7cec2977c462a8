/**
 * The parameters reader follows papermill's `PythonTranslator.inspect`: its own test cases
 * (papermill/tests/test_translators.py `test_inspect_python` and test_inspect.py's notebooks),
 * ported here, plus a differential check against the papermill installed in .venv.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  readNotebookParameters,
  readParametersSource,
  splitLines,
  unknownParameterWarnings
} from '../../../../worker/src/notebooks/parameters-reader';
import { isPythonVariable } from '../../../../worker/src/notebooks/python-identifier';

const ROOT = resolve(__dirname, '../../../..');
const PYTHON = resolve(ROOT, '.venv/bin/python');

type P = [name: string, type: string, dflt: string, help: string];
const strip = (ps: ReturnType<typeof readParametersSource>): P[] => ps.map((p) => [p.name, p.inferred_type_name, p.default, p.help]);

/** papermill's test_inspect_python cases (source → Parameter(name, inferred_type_name, default, help)). */
const PAPERMILL_CASES: [string, P[]][] = [
  ['a = 2', [['a', 'None', '2', '']]],
  ['a: int = 2', [['a', 'int', '2', '']]],
  ['a = 2 # type:int', [['a', 'int', '2', '']]],
  ['a = False # Nice variable a', [['a', 'None', 'False', 'Nice variable a']]],
  ['a: float = 2.258 # type: int Nice variable a', [['a', 'float', '2.258', 'Nice variable a']]],
  ["a = 'this is a string' # type: int Nice variable a", [['a', 'int', "'this is a string'", 'Nice variable a']]],
  [
    "a: List[str] = ['this', 'is', 'a', 'string', 'list'] # Nice variable a",
    [['a', 'List[str]', "['this', 'is', 'a', 'string', 'list']", 'Nice variable a']]
  ],
  [
    "a: List[str] = [\n    'this', # First\n    'is',\n    'a',\n    'string',\n    'list' # Last\n] # Nice variable a",
    [['a', 'List[str]', "['this','is','a','string','list']", 'Nice variable a']]
  ],
  [
    "a: List[str] = [\n    'this',\n    'is',\n    'a',\n    'string',\n    'list'\n] # Nice variable a",
    [['a', 'List[str]', "['this','is','a','string','list']", 'Nice variable a']]
  ],
  [
    "a: List[str] = [\n                'this', # First\n                'is',\n\n                'a',\n                'string',\n                'list' # Last\n            ] # Nice variable a\n\n            b: float = -2.3432 # My b variable\n            ",
    [
      ['a', 'List[str]', "['this','is','a','string','list']", 'Nice variable a'],
      ['b', 'float', '-2.3432', 'My b variable']
    ]
  ]
];

/** More cases for the edges of the rules (compared with papermill itself below). */
const EDGE_CASES = [
  '',
  '# only a comment\n\n',
  'x = f(k=1)\ny = 3',
  'a = b = 1\nc = 2',
  'class_ = 1\nlambda_ = 2 # type: float',
  'alpha = 0.5  # learning rate\nn: "int" = 10\nname = "x # not a comment"',
  'd = {\n  "k": 1,  # one\n  "j": 2\n}\ne = None',
  'π = 3.14\n1a = 2',
  'a = 1\r\nb = 2\rc = 3',
  'x: Dict[str, int] = {}  # type: ignore trailing help'
];

describe('the parameters reader', () => {
  it.each(PAPERMILL_CASES)("reads papermill's case %j as papermill does", (source, expected) => {
    expect(strip(readParametersSource(source))).toEqual(expected);
  });

  it("reads papermill's test notebooks as its inspect_notebook test expects", () => {
    const dir = resolve(ROOT, '.venv/lib');
    const site = require('node:fs').readdirSync(dir).map((d: string) => resolve(dir, d, 'site-packages/papermill/tests/notebooks')).find(existsSync);
    if (!site) throw new Error('papermill (scripts/requirements.txt) is not installed in .venv: run scripts/bootstrap.sh');
    const read = (name: string) => readNotebookParameters(JSON.parse(readFileSync(resolve(site, name), 'utf8')));
    expect(read('no_parameters.ipynb')).toEqual({ has_parameters_cell: false, parameters: [] });
    expect(strip(read('simple_execute.ipynb').parameters)).toEqual([['msg', 'None', 'None', '']]);
    expect(strip(read('complex_parameters.ipynb').parameters)).toEqual([
      ['msg', 'None', 'None', ''],
      ['a', 'float', '2.25', 'Variable a'],
      ['b', 'List[str]', "['Hello','World']", 'Nice list'],
      ['c', 'NoneType', 'None', '']
    ]);
  });

  it('agrees with the installed papermill on every case', () => {
    const sources = [...PAPERMILL_CASES.map(([s]) => s), ...EDGE_CASES];
    const code = [
      'import json, sys',
      'from nbformat.v4 import new_code_cell',
      'from papermill.translators import PythonTranslator',
      'out = [[list(p) for p in PythonTranslator.inspect(new_code_cell(source=s))] for s in json.load(sys.stdin)]',
      'print(json.dumps(out))'
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', code], { input: JSON.stringify(sources), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`papermill failed: ${r.stderr}`);
    const theirs = JSON.parse(r.stdout) as P[][];
    expect(sources.map((s) => strip(readParametersSource(s)))).toEqual(theirs);
  });

  it('marks keywords and non-identifiers', () => {
    expect(readParametersSource('1a = 2\nalpha = 1').map((p) => [p.name, p.identifier])).toEqual([
      ['1a', false],
      ['alpha', true]
    ]);
    expect(['class', 'None', 'lambda', 'x-y', '', '2x'].map(isPythonVariable)).toEqual([false, false, false, false, false, false]);
    expect(['match', '_', 'π', 'x2', 'type'].map(isPythonVariable)).toEqual([true, true, true, true, true]);
  });

  it('splits lines as Python does', () => {
    expect(splitLines('a\r\nb\rc\n')).toEqual(['a', 'b', 'c']);
    expect(splitLines('a\u2028b\x0cc\x1cd')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('takes the first cell tagged parameters, source as a string or lines', () => {
    const nb = {
      cells: [
        { cell_type: 'code', metadata: {}, source: 'x = 0' },
        { cell_type: 'code', metadata: { tags: ['parameters'] }, source: ['alpha = 0.5 # rate\n', 'n = 10'] },
        { cell_type: 'code', metadata: { tags: ['parameters'] }, source: 'later = 1' }
      ]
    };
    expect(readNotebookParameters(nb)).toEqual({
      has_parameters_cell: true,
      parameters: [
        { name: 'alpha', inferred_type_name: 'None', default: '0.5', help: 'rate', identifier: true },
        { name: 'n', inferred_type_name: 'None', default: '10', help: '', identifier: true }
      ]
    });
  });

  it('warns about parameter names the notebook does not declare, as papermill does', () => {
    const declared = readNotebookParameters({ cells: [{ cell_type: 'code', metadata: { tags: ['parameters'] }, source: 'alpha = 1\nn = 2' }] });
    expect(unknownParameterWarnings('main', declared, [{ alpha: 1, n: 2 }])).toEqual([]);
    expect(unknownParameterWarnings('main', declared, [1, 2, [3]])).toEqual([]);
    expect(unknownParameterWarnings('main', declared, [{ alpha: 1, beta: 2 }, { gamma: 3 }])).toEqual([
      `passed unknown parameter(s) "beta", "gamma": notebook 'main' declares alpha, n in its 'parameters' cell`
    ]);
    // keys that cannot be variables, and a cell written for nbgrid (`job` only): nothing to warn about
    expect(unknownParameterWarnings('main', declared, [{ 'x.y': 1, class: 2 }])).toEqual([]);
    const nbgridCell = readNotebookParameters({ cells: [{ cell_type: 'code', metadata: { tags: ['parameters'] }, source: 'job = {}', outputs: [] }] });
    expect(unknownParameterWarnings('main', nbgridCell, [{ alpha: 1 }])).toEqual([]);
    expect(unknownParameterWarnings('main', readNotebookParameters({ cells: [] }), [{ alpha: 1 }])[0]).toMatch(
      /has no cell tagged 'parameters': passed unknown parameter\(s\) "alpha"/
    );
  });
});
