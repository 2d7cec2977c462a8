import './jsdom-polyfills';
import { StatusModel } from '../../src/status-model';
import type { ITaskEvent } from '../../src/types';
import { FakeEventStream, fakeClient, group, row } from './fake-client';

function event(job_id: number, overrides: Partial<ITaskEvent> = {}): ITaskEvent {
  return {
    name: `tasks/main/abcd1234-${job_id}`,
    job: 'main',
    task_group: 'abcd1234',
    job_id,
    task_id: `id-${job_id}`,
    status: 'SUCCESS',
    run_status: 'OK',
    message: '',
    worker: 'nbgrid@w1',
    duration: 1.5,
    ...overrides
  };
}

async function startedModel() {
  const client = fakeClient([group], { abcd1234: [0, 1, 2, 3].map(i => row(i)) });
  const model = new StatusModel({
    client,
    job: 'main',
    openEvents: url => new FakeEventStream(url),
    refreshDelay: 10_000
  });
  await model.start();
  return { client, model, stream: FakeEventStream.last as FakeEventStream };
}

describe('StatusModel', () => {
  afterEach(() => jest.useRealTimers());

  it('loads groups, expands the newest and subscribes to the job’s events', async () => {
    const { client, model, stream } = await startedModel();
    expect(stream.url).toBe('http://localhost:8888/nbgrid/api/events?job=main');
    expect(client.status).toHaveBeenCalledWith('main', 'abcd1234');
    expect(model.isExpanded('abcd1234')).toBe(true);
    expect(model.rows('abcd1234')?.map(r => r.job_id)).toEqual([0, 1, 2, 3]);
    expect(model.progress('abcd1234')).toMatchObject({ total: 4, done: 0, counts: { PENDING: 4, SUCCESS: 0 } });
    stream.open();
    expect(model.live).toBe(true);
    model.dispose();
    expect(stream.closed).toBe(true);
  });

  it('applies task events to rows and progress at once', async () => {
    const { model, stream } = await startedModel();
    const changed = jest.fn();
    model.changed.connect(changed);
    stream.emit('task', event(1, { status: 'STARTED', run_status: 'unknown', duration: null }));
    stream.emit('task', event(0));
    stream.emit('task', event(2, { status: 'FAILURE', run_status: 'ERROR', message: 'ValueError: bad 2' }));
    expect(changed).toHaveBeenCalledTimes(3);
    const rows = model.rows('abcd1234')!;
    expect(rows[0]).toMatchObject({ status: 'SUCCESS', run_status: 'OK', worker: 'nbgrid@w1', duration: 1.5 });
    expect(rows[2]).toMatchObject({ status: 'FAILURE', run_status: 'ERROR', message: 'ValueError: bad 2' });
    expect(model.progress('abcd1234')).toEqual({
      total: 4,
      done: 2,
      counts: { SUCCESS: 1, FAILURE: 1, STARTED: 1, RETRY: 0, PENDING: 1, REVOKED: 0 }
    });
    model.dispose();
  });

  it('ignores events of other jobs and refetches after a burst of events', async () => {
    jest.useFakeTimers();
    const client = fakeClient([group], { abcd1234: [row(0)] });
    const model = new StatusModel({ client, job: 'main', openEvents: url => new FakeEventStream(url), refreshDelay: 300 });
    await model.start();
    const stream = FakeEventStream.last!;
    stream.emit('task', event(0, { job: 'other' }));
    expect(model.rows('abcd1234')![0].status).toBe('PENDING');
    client.groups.mockClear();
    stream.emit('task', event(0));
    stream.emit('task', event(0));
    jest.advanceTimersByTime(299);
    expect(client.groups).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(client.groups).toHaveBeenCalledTimes(1);
    model.dispose();
  });

  it('uses group counts for collapsed groups', async () => {
    const older = { ...group, task_group: 'older000', count: 3, states: { SUCCESS: 2, FAILURE: 1 } };
    const client = fakeClient([group, older], { abcd1234: [row(0)] });
    const model = new StatusModel({ client, job: 'main', openEvents: url => new FakeEventStream(url) });
    await model.start();
    expect(model.isExpanded('older000')).toBe(false);
    expect(model.progress('older000')).toMatchObject({ total: 3, done: 3, counts: { SUCCESS: 2, FAILURE: 1 } });
    model.dispose();
  });

  it('restarts, resets and cancels a group through the client, then refetches', async () => {
    const { client, model } = await startedModel();
    client.groups.mockClear();
    await expect(model.restart('abcd1234')).resolves.toBe(1);
    await model.restart('abcd1234', true);
    await expect(model.cancel('abcd1234')).resolves.toBe(2);
    expect(client.restart.mock.calls).toEqual([
      ['main', { task_group: 'abcd1234', reset: false }],
      ['main', { task_group: 'abcd1234', reset: true }]
    ]);
    expect(client.cancel).toHaveBeenCalledWith('main', { task_group: 'abcd1234' });
    expect(client.groups).toHaveBeenCalledTimes(3);
    model.dispose();
  });

  it('keeps the error of a failed fetch to show it', async () => {
    const client = fakeClient([group], {});
    const { NbgridError } = await import('../../src/errors');
    client.groups.mockRejectedValueOnce(new NbgridError('nbgrid service is not reachable at x', 503, true));
    const model = new StatusModel({ client, job: 'main', openEvents: url => new FakeEventStream(url) });
    await model.start();
    expect(model.error?.message).toMatch(/not reachable/);
    await model.refresh();
    expect(model.error).toBeNull();
    model.dispose();
  });
});
