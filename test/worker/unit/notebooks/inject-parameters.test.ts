import { InvalidInputError } from '../../../../worker/src/domain/errors';
import { JsonText } from '../../../../worker/src/domain/json-bytes';
import { INJECTED_TAG, renderTaskNotebook, type ITaskParameters } from '../../../../worker/src/notebooks/inject-parameters';
import { runPython } from './python';

type Cell = { cell_type: string; source: string; metadata: Record<string, unknown>; id?: string; outputs?: unknown[]; execution_count?: null };

function code(source: string, tags?: string[]): Cell {
  return { cell_type: 'code', source, metadata: tags ? { tags } : {}, outputs: [], execution_count: null };
}

function notebook(cells: Cell[], minor = 4, kernel = { name: 'python3', display_name: 'Python 3', language: 'python' }) {
  return {
    nbformat: 4,
    nbformat_minor: minor,
    metadata: { kernelspec: kernel, language_info: { name: kernel.language } },
    cells: minor >= 5 ? cells.map((c, i) => ({ id: `cell-${i}`, ...c })) : cells
  };
}

const PARAMS: ITaskParameters = {
  param: [[1, 2], { 'a.b': "it's \"x\"\n" }, null, 2.5],
  job_id: 3,
  task_group: '0a1b2c3d',
  task_name: 'tasks/main/0a1b2c3d-3'
};

// Papermill places the cell; we compare the order of cells (the injected one as INJECTED), then
// execute both injected sources and compare the `job` they define, and validate our notebook.
const COMPARE = String.raw`
import json, sys, nbformat
from papermill.parameterize import parameterize_notebook
case = json.loads(sys.stdin.read())
def shape(nb):
    return ['INJECTED' if 'injected-parameters' in c.get('metadata', {}).get('tags', []) else c['source'] for c in nb['cells']]
def job_of(nb):
    cell = [c for c in nb['cells'] if 'injected-parameters' in c['metadata'].get('tags', [])][0]
    scope = {}
    exec(''.join(cell['source']) if isinstance(cell['source'], list) else cell['source'], scope)
    return scope['job']
src = nbformat.reads(json.dumps(case['main']), as_version=4)
# what papermill's load_notebook_node does before parameterizing
src.metadata.setdefault('papermill', {})
for c in src.cells:
    c.metadata.setdefault('tags', [])
pm = parameterize_notebook(src, {'job': case['job']},
                           kernel_name='python3', language='python')
ours = nbformat.reads(json.dumps(case['ours']), as_version=4)
nbformat.validate(ours)
print(json.dumps({'pm': shape(pm), 'ours': shape(ours), 'pm_job': job_of(pm), 'our_job': job_of(ours),
                  'ours_minor': ours['nbformat_minor'], 'ids': [c.get('id') for c in ours['cells']]}))
`;

function compare(main: ReturnType<typeof notebook>) {
  const rendered = renderTaskNotebook(main, PARAMS);
  return JSON.parse(runPython(COMPARE, JSON.stringify({ main, ours: rendered, job: PARAMS }))) as {
    pm: string[];
    ours: string[];
    pm_job: unknown;
    our_job: unknown;
    ours_minor: number;
    ids: (string | null)[];
  };
}

describe('renderTaskNotebook placement matches papermill', () => {
  it('puts the cell after the first cell tagged parameters', () => {
    const r = compare(notebook([code('import os'), code('job = {"param": 9}', ['parameters']), code('x = 1', ['parameters']), code('print(job)')]));
    expect(r.pm).toEqual(['import os', 'job = {"param": 9}', 'INJECTED', 'x = 1', 'print(job)']);
    expect(r.ours).toEqual(r.pm);
    expect(r.our_job).toEqual(r.pm_job);
  });

  it.each([
    ['with a parameters cell', [code('a = 1'), code('job = {}', ['parameters']), code('b = 2')]],
    ['without a parameters cell (top)', [code('a = 1'), code('b = 2')]],
    ['with an earlier injected cell (replaced in place)', [code('a = 1'), code('job = {}', ['parameters']), code('b = 2'), code('job = {"param": 0}', ['injected-parameters']), code('c')]],
    ['with an injected cell before the parameters cell', [code('job = {"old": 1}', ['injected-parameters']), code('a = 1'), code('job = {}', ['parameters'])]],
    ['with no cells', []]
  ])('%s', (_label, cells) => {
    for (const minor of [4, 5]) {
      const r = compare(notebook(cells as Cell[], minor));
      expect(r.ours).toEqual(r.pm);
      expect(r.our_job).toEqual(PARAMS);
      expect(r.our_job).toEqual(r.pm_job);
      // Upgraded to 4.5 with unique ids everywhere, as papermill's nbformat.v4.upgrade does.
      expect(r.ours_minor).toBe(5);
      expect(new Set(r.ids).size).toBe(r.ids.length);
      expect(r.ids.every((id) => typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id))).toBe(true);
    }
  });
});

describe('renderTaskNotebook', () => {
  it('returns a new notebook and leaves the main notebook untouched', () => {
    const main = notebook([code('job = {}', ['parameters']), code('x')], 4);
    const before = JSON.stringify(main);
    const nb = renderTaskNotebook(main, PARAMS) as { cells: Cell[] };
    expect(JSON.stringify(main)).toBe(before);
    nb.cells[0].source = 'changed';
    expect(main.cells[0].source).toBe('job = {}');
  });

  it('writes the documented job dict', () => {
    const nb = renderTaskNotebook(notebook([], 5), { param: 7, job_id: 0, task_group: 'deadbeef', task_name: 'tasks/main/deadbeef-0' }) as { cells: Cell[] };
    expect(nb.cells[0].metadata).toEqual({ tags: [INJECTED_TAG] });
    // Read by Python's json (issue 14: numbers and key order exactly as sent).
    expect(nb.cells[0].source).toBe(
      "# Parameters\njob = __import__('json').loads('{\"param\": 7, \"job_id\": 0, \"task_group\": \"deadbeef\", \"task_name\": \"tasks/main/deadbeef-0\"}')\n"
    );
  });

  it('refuses kernels other than Python, naming the kernel', () => {
    const main = notebook([code('x')], 5, { name: 'ir', display_name: 'R', language: 'R' });
    expect(() => renderTaskNotebook(main, PARAMS)).toThrow(InvalidInputError);
    expect(() => renderTaskNotebook(main, PARAMS)).toThrow(/'ir'.*only Python/);
  });
});

describe('exact parameters (issue 14)', () => {
  const JOB_OF = String.raw`
import json, sys
nb = json.loads(sys.stdin.read())
cell = [c for c in nb['cells'] if 'injected-parameters' in c['metadata'].get('tags', [])][0]
scope = {}
exec(cell['source'], scope)
p = scope['job']['param']
print(repr(p))
print(sorted(k for k in scope if not k.startswith('__')))
`;

  it('injects the stored JSON text, read by json.loads: big ints, 1.0, -0.0, 10**30 and key order as sent', () => {
    const text = '[9007199254740993,1.0,-0.0,1000000000000000000000000000000,{"2":"b","1":"a"},"it\'s \\"q\\" \\\\ \\u2028 \\ud800"]';
    const nb = renderTaskNotebook(notebook([code('x = 1')], 5), { ...PARAMS, param: new JsonText(text) });
    const [repr, names] = runPython(JOB_OF, JSON.stringify(nb)).trim().split('\n');
    expect(repr).toBe("[9007199254740993, 1.0, -0.0, 1000000000000000000000000000000, {'2': 'b', '1': 'a'}, 'it\\'s \"q\" \\\\ \\u2028 \\ud800']");
    expect(names).toBe("['job']"); // no `json` name left behind
  });

  it('has no 200-level nesting limit (a Python literal has one)', () => {
    const depth = 500;
    const nb = renderTaskNotebook(notebook([code('x = 1')], 5), { ...PARAMS, param: new JsonText('['.repeat(depth) + ']'.repeat(depth)) });
    const repr = runPython(JOB_OF, JSON.stringify(nb)).trim().split('\n')[0];
    expect(repr).toBe('['.repeat(depth) + ']'.repeat(depth));
  });
});
