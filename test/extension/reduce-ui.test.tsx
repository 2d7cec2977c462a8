import { validateMapForm } from '../../src/map-dialog';
import { rowIndexOf, rowOrder } from '../../src/reduce-rows';
import type { IStatusRow, ITaskEvent } from '../../src/types';

const row = (name: string, job_id: number, extra: Partial<IStatusRow> = {}): IStatusRow => ({
  name, task_id: name, status: 'SUCCESS', run_status: 'OK', task_group: 'g', job_id, duration: null, worker: null, message: '', results: null, ...extra
});

describe('the Map dialog reduce and cache fields', () => {
  it('add then and cache to the request', () => {
    expect(validateMapForm({ parameters: 'range(2)', require: '', cellTimeout: '', then: ' summary.ipynb ', thenWhen: 'always', cache: true })).toEqual({
      request: { range: { start: 0, stop: 2, step: 1 }, then: { notebook: 'summary', when: 'always' }, cache: true }
    });
    expect(validateMapForm({ parameters: '[1]', require: '', cellTimeout: '', then: '', cache: false })).toEqual({ request: { params: [1] } });
    expect(validateMapForm({ parameters: '[1]', require: '', cellTimeout: '', then: '../up' })).toEqual({
      error: 'The reduce notebook "../up" must be a stored notebook\'s name (relative, no "..").'
    });
  });
});

describe('reduce rows in the panel', () => {
  it('sort after the tasks and are updated by name only', () => {
    const rows = [row('tasks/sum/r-0', 0, { reduce_round: 1 }), row('tasks/m/g-1', 1), row('tasks/m/g-0', 0)].sort(rowOrder);
    expect(rows.map(r => r.name)).toEqual(['tasks/m/g-0', 'tasks/m/g-1', 'tasks/sum/r-0']);
    const event = (name: string, extra: Partial<ITaskEvent> = {}): ITaskEvent => ({
      name, job: 'm', task_group: 'g', job_id: 0, task_id: 'x', status: 'STARTED', run_status: 'unknown', message: '', worker: null, duration: null, ...extra
    });
    expect(rowIndexOf(rows, event('tasks/sum/r-0', { reduce_round: 1 }))).toBe(2);
    expect(rowIndexOf(rows, event('tasks/m/g-0'))).toBe(0);
    expect(rowIndexOf(rows, event('tasks/sum/r-9', { reduce_round: 2 }))).toBe(-1);
  });
});
