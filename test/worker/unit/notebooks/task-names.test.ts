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
    ['', /must not be empty/],
    ['x'.repeat(513), /513 characters.*at most 512/],
    ['/etc/passwd', /must be relative/],
    ['a/../b', /'\.\.' path segment/],
    ['..', /'\.\.' path segment/],
    ['a/./b', /'\.' path segment/],
    ['a\\b', /must not contain '\\'/],
    ['a\u0000b', /control characters \(found U\+0000 at position 1\)/],
    ['a\nb', /control characters/],
    ['a//b', /empty path segment/],
    ['a/', /empty path segment/]
  ])('rejects %j', (name, why) => {
    expect(() => validateName(name)).toThrow(InvalidInputError);
    expect(() => validateName(name)).toThrow(why);
  });

  it('rejects non-strings', () => {
    expect(() => validateName(42)).toThrow(/must be a string/);
  });
});
