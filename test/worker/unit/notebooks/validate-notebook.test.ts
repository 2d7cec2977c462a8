import { InvalidInputError } from '../../../../worker/src/domain/errors';
import { validateNotebook } from '../../../../worker/src/notebooks/validate-notebook';
import { runPython } from './python';

type Nb = Record<string, unknown> & { cells: Record<string, unknown>[] };

// A notebook nbformat itself writes, with every output kind and a dotted mimetype key.
const MAKE = String.raw`
import json, nbformat
from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell, new_raw_cell, new_output
nb = new_notebook(metadata={'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}})
nb.cells = [
  new_markdown_cell('# title'),
  new_code_cell('print(1)', execution_count=1, outputs=[
    new_output('stream', name='stdout', text='1\n'),
    new_output('display_data', data={'application/vnd.plotly.v1+json': {'data': [], 'layout': {}}, 'text/plain': 'fig'}),
    new_output('execute_result', data={'text/plain': '2'}, execution_count=1),
    new_output('error', ename='ValueError', evalue='bad', traceback=['Traceback', 'ValueError: bad']),
  ]),
  new_raw_cell('raw'),
]
nbformat.validate(nb)
print(json.dumps(nb))
`;

function good(): Nb {
  return JSON.parse(runPython(MAKE)) as Nb;
}

function message(nb: unknown): string {
  try {
    validateNotebook(nb);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as Error).message;
  }
  throw new Error('expected the notebook to be rejected');
}

describe('validateNotebook', () => {
  it('accepts what nbformat writes (4.5) and older minors', () => {
    const nb = good();
    expect(validateNotebook(nb)).toBe(nb);
    const v44 = { ...nb, nbformat_minor: 4, cells: nb.cells.map(({ id: _id, ...c }) => c) };
    expect(() => validateNotebook(v44)).not.toThrow();
  });

  it('names the cell and the allowed cell types', () => {
    const nb = good();
    nb.cells.push({ ...nb.cells[0], id: 'x1', cell_type: 'heading' });
    expect(message(nb)).toBe('invalid notebook: cells[3].cell_type must be one of code, markdown, raw');
  });

  it.each<[string, (nb: Nb) => void, string]>([
    ['missing metadata', (nb) => delete nb.metadata, 'metadata is required'],
    ['unexpected top-level property', (nb) => (nb.extra = 1), "notebook has an unexpected property 'extra'"],
    ['source of the wrong type', (nb) => (nb.cells[1].source = 5), 'cells[1].source must be string or array'],
    ['missing outputs', (nb) => delete nb.cells[1].outputs, 'cells[1].outputs is required'],
    [
      'unknown output type',
      (nb) => ((nb.cells[1].outputs as Record<string, unknown>[])[2].output_type = 'picture'),
      'cells[1].outputs[2].output_type must be one of execute_result, display_data, stream, error'
    ],
    ['stream without name', (nb) => delete (nb.cells[1].outputs as Record<string, unknown>[])[0].name, 'cells[1].outputs[0].name is required'],
    ['bad cell id', (nb) => (nb.cells[0].id = 'has space'), 'cells[0].id must match pattern'],
    ['bad tags', (nb) => (nb.cells[0].metadata = { tags: 'parameters' }), 'cells[0].metadata.tags must be array']
  ])('%s', (_label, spoil, expected) => {
    const nb = good();
    spoil(nb);
    expect(message(nb)).toContain(expected);
  });

  it('rejects non-objects and other nbformat versions', () => {
    expect(message(null)).toMatch(/must be a JSON object.*null/);
    expect(message([1])).toMatch(/an array/);
    expect(message('{"nbformat": 4}')).toMatch(/string/);
    expect(message({ ...good(), nbformat: 3 })).toMatch(/nbformat must be 4 \(got 3\)/);
    expect(message({ ...good(), nbformat_minor: '5' })).toMatch(/nbformat_minor/);
  });

  it('agrees with nbformat.validate on what is invalid', () => {
    const spoiled: Nb[] = [];
    const a = good();
    a.cells[0].cell_type = 'code';
    spoiled.push(a);
    const b = good();
    (b.cells[1].outputs as Record<string, unknown>[])[3].traceback = 'not a list';
    spoiled.push(b);
    const c = good();
    c.cells[2].outputs = [];
    spoiled.push(c);
    const verdicts = runPython(
      String.raw`
import json, sys, nbformat
for line in sys.stdin:
    try:
        nbformat.validate(json.loads(line)); print('valid')
    except nbformat.ValidationError:
        print('invalid')`,
      spoiled.map((nb) => JSON.stringify(nb)).join('\n')
    )
      .trim()
      .split('\n');
    expect(verdicts).toEqual(['invalid', 'invalid', 'invalid']);
    for (const nb of spoiled) expect(() => validateNotebook(nb)).toThrow(InvalidInputError);
  });
});
