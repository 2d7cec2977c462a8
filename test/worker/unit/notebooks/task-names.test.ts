import { InvalidInputError } from '../../../../worker/src/domain/errors';
import {
  newTaskGroup,
  parseTaskName,
  resultName,
  taskName,
  taskNotebookPath,
  validateName
} from '../../../../worker/src/notebooks/task-names';

describe('task names', () => {
  it('builds task, task notebook and result names as DESIGN.md documents', () => {
    const name = taskName('reports/monthly', 'c05ecd89', 3);
    expect(name).toBe('tasks/reports/monthly/c05ecd89-3');
    expect(taskNotebookPath(name)).toBe('tasks/reports/monthly/c05ecd89-3.ipynb');
    expect(resultName(name, new Date('2026-01-02T03:04:05.678Z'))).toBe(
      'results/tasks/reports/monthly/c05ecd89-3.ipynb_2026-01-02T03:04:05.678Z.ipynb'
    );
    expect(parseTaskName('tasks/reports/monthly/c05ecd89-3.ipynb')).toEqual({
      job: 'reports/monthly',
      task_group: 'c05ecd89',
      job_id: 3,
      name
    });
    expect(parseTaskName('main')).toBeNull();
  });

  it('makes 8-hex task groups', () => {
    const groups = new Set(Array.from({ length: 200 }, () => newTaskGroup()));
    expect(groups.size).toBe(200);
    for (const g of groups) expect(g).toMatch(/^[0-9a-f]{8}$/);
  });

  it('accepts ordinary names', () => {
    for (const n of ['main', 'reports/monthly', 'a b/ü-1.ipynb', 'x'.repeat(512)]) expect(validateName(n)).toBe(n);
  });

  it.each([
    // The one rule and message of domain/names.ts, the same the REST routes give.
    ['', /^notebook name is empty: give a notebook name such as 'main'/],
    ['x'.repeat(513), /513 characters.*at most 512/],
    ['/etc/passwd', /is an absolute path: drop the leading '\/'/],
    ['a/../b', /contains a '\.\.' segment: names cannot point outside the notebook store/],
    ['..', /contains a '\.\.' segment/],
    ['a/./b', /contains a '\.' segment/],
    ['a\\b', /contains a backslash: separate folders with '\/'/],
    ['a\u0000b', /contains the control character U\+0000 at position 1: remove it/],
    ['a\nb', /contains the control character U\+000A/],
    ['a\u0085b', /contains the control character U\+0085 at position 1/],
    ['a//b', /empty folder segment/],
    ['a/', /empty folder segment/]
  ])('rejects %j', (name, why) => {
    expect(() => validateName(name)).toThrow(InvalidInputError);
    expect(() => validateName(name)).toThrow(why);
  });

  it('rejects non-strings', () => {
    expect(() => validateName(42)).toThrow(/must be a string/);
  });
});
