/**
 * Nothing on a parameter's way depends on the stack depth (a bound, checked by every recursive
 * walker, instead of a RangeError deep inside a worker), and names may hold line separators.
 */
import { InvalidInputError } from '../../../../worker/src/domain/errors';
import { encodeJson, MAX_JSON_DEPTH } from '../../../../worker/src/domain/json-bytes';
import { renderTaskNotebook } from '../../../../worker/src/notebooks/inject-parameters';
import { pythonLiteral } from '../../../../worker/src/notebooks/python-literal';
import { parseTaskName, taskName, validateName } from '../../../../worker/src/notebooks/task-names';

// The object's key is no Python identifier: it stays in job['param'] only (an identifier key
// becomes a papermill-style variable, whose literal Python takes 200 levels deep at most).
function nested(levels: number, kind: 'list' | 'object' = 'list', key = 'k-'): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = kind === 'list' ? [v] : { [key]: v };
  return v;
}

const main = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'python3', language: 'python' } },
  cells: [{ id: 'a', cell_type: 'code', metadata: {}, source: 'x = 1', outputs: [], execution_count: null }]
};

describe('nesting depth', () => {
  it.each(['list', 'object'] as const)('encodes and renders a %s nested exactly MAX_JSON_DEPTH levels', (kind) => {
    const v = nested(MAX_JSON_DEPTH, kind);
    expect(encodeJson(v, 'params[0]').byteLength).toBeGreaterThan(MAX_JSON_DEPTH);
    const nb = renderTaskNotebook(main, { param: v as never, job_id: 0, task_group: 'abcdef01', task_name: 'tasks/m/abcdef01-0' });
    expect(JSON.stringify(nb)).toContain('\\"param\\": '); // job = json.loads('{"param": ...}')
  });

  it('refuses an identifier key nested deeper than a Python literal can be, with an InvalidInputError', () => {
    const v = nested(MAX_JSON_DEPTH, 'object', 'k');
    expect(() => renderTaskNotebook(main, { param: v as never, job_id: 0, task_group: 'abcdef01', task_name: 'tasks/m/abcdef01-0' })).toThrow(
      /the parameter\["k"\]\["k"\].*\.\.\. nests lists and dicts more than 200 levels deep/
    );
  });

  it.each([MAX_JSON_DEPTH + 1, 3000, 20000, 200000])('refuses %i levels with an InvalidInputError naming the value, never a RangeError', (levels) => {
    const v = nested(levels);
    let err: unknown;
    try {
      encodeJson(v, 'params[7]');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toContain('params[7] is nested more than 500 levels deep');
    if (levels <= MAX_JSON_DEPTH + 4) return; // the renderer allows for the levels that wrap a parameter
    expect(() => pythonLiteral(v)).toThrow(InvalidInputError);
    expect(() => renderTaskNotebook(main, { param: v as never, job_id: 0, task_group: 'abcdef01', task_name: 'tasks/m/abcdef01-0' })).toThrow(
      InvalidInputError
    );
  });
});

describe('names with line separators', () => {
  it.each(['a\u2028b', 'x\u2029', '\u2028', 'dir\u2028/nb\u2029end'])('parses the task name of notebook %j', (nb) => {
    expect(validateName(nb)).toBe(nb);
    const name = taskName(nb, 'c05ecd89', 12);
    expect(parseTaskName(name)).toEqual({ job: nb, task_group: 'c05ecd89', job_id: 12, name });
    expect(parseTaskName(`${name}.ipynb`)).toEqual({ job: nb, task_group: 'c05ecd89', job_id: 12, name });
  });

  it('names cannot hold \\n or \\r (control characters), so no task name has them', () => {
    expect(() => validateName('a\nb')).toThrow(/control character U\+000[AD]/);
    expect(() => validateName('a\rb')).toThrow(/control character U\+000[AD]/);
  });
});
