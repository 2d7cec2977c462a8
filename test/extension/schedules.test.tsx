import './jsdom-polyfills';
import { act, render, screen } from '@testing-library/react';
import React from 'react';
import { deleteGroups, formatBytes } from '../../src/group-delete';
import { scheduleOfForm } from '../../src/schedule-fields';
import { SchedulesView } from '../../src/schedules-view';
import { StatusModel } from '../../src/status-model';
import type { ICleanupReport, ISchedule } from '../../src/types';
import { FakeEventStream, fakeClient, group } from './fake-client';

const schedule: ISchedule = {
  id: '5e0c9a12',
  job: 'main',
  cron: '30 2 * * *',
  tz: 'Europe/Berlin',
  map: { range: { start: 0, stop: 3, step: 1 } },
  catchup: 'latest',
  keep_last: null,
  paused: false,
  created: '2026-12-01T00:00:00.000Z',
  next_run: '2026-12-02T01:30:00.000Z',
  last_run: { occurrence: '2026-12-01T01:30:00.000Z', task_group: 'abcd1234', state: 'submitted', trigger: 'cron' }
};

function report(dry_run: boolean): ICleanupReport {
  return { dry_run, groups: [], skipped: [], tasks: 4, results: 4, bytes: 3000, blobs: 4, blob_bytes: 2000, revoked: 0 };
}

function setup() {
  const client = fakeClient([{ ...group, schedule: schedule.id, occurrence: '2026-12-01T01:30:00.000Z' }], {});
  client.schedules = jest.fn(async () => [schedule]);
  client.cleanup = jest.fn(async body => report(body.dry_run === true));
  const model = new StatusModel({ client, job: 'main', openEvents: url => new FakeEventStream(url), refreshDelay: 10_000 });
  return { client, model };
}

describe('the schedule fields of the Map dialog', () => {
  it('need a cron expression; the time zone defaults to UTC', () => {
    expect(scheduleOfForm({ cron: ' ' })).toEqual({ error: expect.stringContaining('Give a cron expression') });
    expect(scheduleOfForm({ cron: '@daily ', tz: '' })).toEqual({ cron: '@daily', tz: 'UTC' });
  });
});

describe('SchedulesView', () => {
  it("lists the job's schedules with the next run and links the groups they made", async () => {
    const { client, model } = setup();
    await act(() => model.start());
    render(<SchedulesView model={model} />);
    await screen.findByText('30 2 * * *');
    expect(client.schedules).toHaveBeenCalledWith('main');
    expect(screen.getByText(new Date(schedule.next_run as string).toLocaleString())).toBeTruthy();
    expect(screen.getByText('abcd1234').tagName).toBe('BUTTON');
  });

  it('shows nothing for a job without schedules', async () => {
    const { client, model } = setup();
    client.schedules = jest.fn(async () => []);
    const { container } = render(<SchedulesView model={model} />);
    await act(async () => undefined);
    expect(container.innerHTML).toBe('');
  });
});

describe('deleteGroups', () => {
  it('asks with the number of tasks and bytes a dry run reported, then deletes', async () => {
    const { client, model } = setup();
    const confirm = jest.fn(async () => true);
    expect(await deleteGroups(model, ['abcd1234'], confirm)).toEqual(['abcd1234']);
    expect(confirm).toHaveBeenCalledWith('Delete group abcd1234?', expect.stringContaining(`4 tasks and ${formatBytes(5000)} go`));
    expect((client.cleanup as jest.Mock).mock.calls.map(c => c[0])).toEqual([
      { job: 'main', task_group: 'abcd1234', dry_run: true },
      { job: 'main', task_group: 'abcd1234' }
    ]);
  });

  it('deletes nothing when the person cancels', async () => {
    const { client, model } = setup();
    expect(await deleteGroups(model, ['abcd1234'], async () => false)).toEqual([]);
    expect(client.cleanup).toHaveBeenCalledTimes(1);
  });
});
