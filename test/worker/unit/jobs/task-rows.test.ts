import { statusRow } from '../../../../worker/src/domain/status-row';
import { taskEvent } from '../../../../worker/src/domain/task-event';
import type { ITaskSummary } from '../../../../worker/src/domain/task-state';
import type { IJobRun } from '../../../../worker/src/domain/types';
import { toTaskSummary, type ITaskSummaryDoc } from '../../../../worker/src/storage/documents';

const run: IJobRun = {
  status: 'ERROR',
  ts: '2026-01-01T00:00:00.000Z',
  message: 'ValueError: bad',
  results: 'results/tasks/main/0a1b2c3d-1.ipynb_2026-01-01T00:00:00.000Z.ipynb',
  duration: 2.5,
  worker: 'nbgrid@a',
  attempt: 1,
  task_id: 't1'
};

function doc(partial: Partial<ITaskSummary>): ITaskSummary {
  return {
    name: 'tasks/main/0a1b2c3d-1',
    job: 'main',
    task_group: '0a1b2c3d',
    job_id: 1,
    main_sha256: 'f'.repeat(64),
    task_id: 't1',
    attempt: 1,
    runs_total: 0,
    state: 'PENDING',
    run_status: 'unknown',
    require: 'default',
    cell_timeout: null,
    job_runs: [],
    worker: null,
    created: '2026-01-01T00:00:00.000Z',
    updated: '2026-01-01T00:00:00.000Z',
    ...partial
  };
}

describe('status rows and task events', () => {
  it('a task that never ran has no duration, worker, message or result notebook', () => {
    expect(statusRow(doc({}))).toEqual({
      name: 'tasks/main/0a1b2c3d-1',
      task_id: 't1',
      status: 'PENDING',
      run_status: 'unknown',
      task_group: '0a1b2c3d',
      job_id: 1,
      duration: null,
      worker: null,
      message: '',
      results: null,
      gpus: null
    });
  });

  it('a task whose last run had a GPU slot names its GPUs; one without has null', () => {
    expect(statusRow(doc({ state: 'SUCCESS', run_status: 'OK', job_runs: [run, { ...run, status: 'OK', gpus: '2,3' }] })).gpus).toBe('2,3');
    expect(statusRow(doc({ state: 'FAILURE', run_status: 'ERROR', job_runs: [{ ...run, gpus: '1' }, run] })).gpus).toBeNull();
  });

  it('a failed task shows its last run', () => {
    const row = statusRow(doc({ state: 'FAILURE', run_status: 'ERROR', job_runs: [run], worker: 'nbgrid@a' }));
    expect(row).toMatchObject({ status: 'FAILURE', run_status: 'ERROR', duration: 2.5, worker: 'nbgrid@a', message: 'ValueError: bad', results: run.results });
  });

  it('a running task names the worker running it', () => {
    expect(statusRow(doc({ state: 'STARTED', worker: 'nbgrid@b', job_runs: [run] })).worker).toBe('nbgrid@b');
  });

  it('events carry the same fields', () => {
    const d = doc({ state: 'FAILURE', run_status: 'ERROR', job_runs: [run] });
    expect(taskEvent(d)).toEqual({
      name: d.name,
      job: 'main',
      task_group: '0a1b2c3d',
      job_id: 1,
      task_id: 't1',
      status: 'FAILURE',
      run_status: 'ERROR',
      message: 'ValueError: bad',
      worker: 'nbgrid@a',
      duration: 2.5
    });
  });

  it('storage maps a task document to the task state rows are made of (older documents included)', () => {
    const stored: ITaskSummaryDoc = {
      _id: 'tasks/main/0a1b2c3d-1',
      job: 'main',
      task_group: '0a1b2c3d',
      job_id: 1,
      main_sha256: 'f'.repeat(64),
      task_id: 't1',
      attempt: 3,
      state: 'FAILURE',
      run_status: 'ERROR',
      require: 'gpu',
      cell_timeout: 5,
      job_runs: [run],
      run_keys: ['t1:1'],
      worker: 'nbgrid@a',
      group_seq: 7,
      created: '2026-01-01T00:00:00.000Z',
      updated: '2026-01-01T00:00:01.000Z',
      rev: 4
    };
    expect(toTaskSummary(stored)).toEqual(doc({ state: 'FAILURE', run_status: 'ERROR', job_runs: [run], runs_total: 1, worker: 'nbgrid@a', attempt: 3, require: 'gpu', cell_timeout: 5, updated: '2026-01-01T00:00:01.000Z' }));
    // Documents written before attempts and workers were stored: first attempt, no worker.
    const old = { ...stored, attempt: undefined, worker: undefined } as unknown as ITaskSummaryDoc;
    expect(toTaskSummary(old)).toMatchObject({ attempt: 1, worker: null });
    expect(statusRow(toTaskSummary(old)).worker).toBe('nbgrid@a');
  });
});
