import { withProgress } from '../../../../worker/src/service/routes/progress';
import type { IProgressEvent } from '../../../../worker/src/schemas';
import { statusRow } from '../../../../worker/src/domain/status-row';

const row = (i: number, state: 'STARTED' | 'PENDING', message = '') =>
  statusRow({
    name: `tasks/a "b"/abcd1234-${i}`,
    task_id: `id-${i}`,
    state,
    run_status: 'unknown',
    task_group: 'abcd1234',
    job_id: i,
    job_runs: message ? [{ status: 'ERROR', ts: '', message, results: null, duration: 1, worker: 'w', attempt: 1, task_id: 'old' }] : []
  });

const event = (i: number, taskId = `id-${i}`) =>
  ({ name: `tasks/a "b"/abcd1234-${i}`, task_id: taskId, done: 2, total: 5, cell: { index: 3, source: 'x', started: 't' } }) as IProgressEvent;

describe('status rows with progress', () => {
  const body = JSON.stringify({ rows: [row(0, 'STARTED'), row(1, 'PENDING', '{"name":"tasks/a \\"b\\"/abcd1234-1","task_id":"id-1","status":"STARTED"'), row(2, 'STARTED')] });

  it('sets progress on the running rows whose current run reports it, and leaves the body as it is otherwise', () => {
    const rows = (JSON.parse(withProgress(body, [event(0), event(1), event(2, 'an older run')])) as { rows: Record<string, unknown>[] }).rows;
    expect(rows.map((r) => r.progress)).toEqual([{ done: 2, total: 5, cell: { index: 3, source: 'x', started: 't' } }, undefined, undefined]);
    expect(rows[1].message).toContain('"status":"STARTED"');
    expect(withProgress(body, [])).toBe(body);
    expect(withProgress(body, [event(9)])).toBe(body);
  });
});
