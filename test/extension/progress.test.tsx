import './jsdom-polyfills';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import React from 'react';
import { DoneNotifier, doneMessage } from '../../src/done-notifier';
import { estimateGroup, formatEta, TaskProgressStore, type IProgressEvent } from '../../src/progress-store';
import { StatusModel } from '../../src/status-model';
import { StatusPanelView, type IStatusPanelActions } from '../../src/status-panel';
import { FakeEventStream, fakeClient, group, row } from './fake-client';

function progress(overrides: Partial<IProgressEvent> = {}): IProgressEvent {
  return {
    name: 'tasks/main/abcd1234-2',
    job: 'main',
    task_group: 'abcd1234',
    job_id: 2,
    task_id: 'id-2',
    worker: 'nbgrid@w1',
    seq: 1,
    ts: '2026-12-01T04:00:00.000Z',
    done: 1,
    total: 3,
    cell: { index: 2, source: 'train(model)', started: new Date().toISOString() },
    tail: ['epoch 1', 'epoch 2'],
    display: ' 40%|####      | 4/10',
    final: false,
    ...overrides
  };
}

const message = (data: unknown) => ({ data: JSON.stringify(data) }) as MessageEvent;

describe('TaskProgressStore and the group estimate', () => {
  it('keeps the newest update of each run', () => {
    const store = new TaskProgressStore();
    expect(store.apply(progress({ seq: 2 }))).toBe(true);
    expect(store.apply(progress({ seq: 1 }))).toBe(false);
    expect(store.apply(progress({ seq: 1, task_id: 'restarted' }))).toBe(true);
    expect(store.get('tasks/main/abcd1234-2', 'id-2')).toBeUndefined();
    store.drop('tasks/main/abcd1234-2');
    expect(store.get('tasks/main/abcd1234-2')).toBeUndefined();
  });

  it('estimates the time left from the durations so far', () => {
    const rows = [
      row(0, { status: 'SUCCESS', duration: 10 }),
      row(1, { status: 'FAILURE', duration: 30 }),
      row(2, { status: 'STARTED' }),
      row(3, { status: 'STARTED' }),
      row(4),
      row(5)
    ];
    // 2 queued × 20 s over 2 running, plus half a task for the running ones.
    expect(estimateGroup(rows)).toEqual({ done: 2, running: 2, queued: 2, etaSeconds: 30 });
    expect(estimateGroup([row(0), row(1, { status: 'STARTED' })]).etaSeconds).toBeNull();
    expect(formatEta(30)).toBe('≈ 30 s left');
    expect(formatEta(130)).toBe('≈ 2 min 10 s left');
  });
});

describe('the status panel with live progress', () => {
  it('shows a cells bar and the running cell per running task, an output tail on demand, and the group estimate', async () => {
    const rows = [row(0, { status: 'SUCCESS', run_status: 'OK', duration: 4 }), row(1, { status: 'STARTED' }), row(2, { status: 'STARTED' }), row(3)];
    const client = fakeClient([group], { abcd1234: rows });
    const model = new StatusModel({ client, job: 'main', openEvents: url => new FakeEventStream(url), refreshDelay: 10_000 });
    const actions: jest.Mocked<IStatusPanelActions> = { openNotebook: jest.fn(), confirm: jest.fn(async () => true), openPartial: jest.fn() };
    const { rerender } = render(<StatusPanelView model={model} actions={actions} />);
    await act(() => model.start());
    act(() => {
      for (const listener of FakeEventStream.last!.listeners.progress) listener(message(progress()));
    });
    await waitFor(() => expect(model.progressOf(model.rows('abcd1234')![2])).toBeDefined());
    rerender(<StatusPanelView model={model} actions={actions} />);
    const bar = screen.getByLabelText('cells 1 of 3');
    expect(bar.getAttribute('aria-valuenow')).toBe('1');
    expect(screen.getByText(/cells 1\/3/)).toBeTruthy();
    expect(screen.getByText(/\[2\] train\(model\)/)).toBeTruthy();
    expect(screen.getByText(/^2 running · 1 queued · ≈ 4 s left$/)).toBeTruthy();
    fireEvent.click(screen.getByText('output (3)'));
    expect(screen.getByText(/epoch 1\s+epoch 2\s+40%/)).toBeTruthy();
    fireEvent.click(screen.getByText('so far'));
    expect(actions.openPartial).toHaveBeenCalledWith(expect.objectContaining({ name: 'tasks/main/abcd1234-2' }));
    // The task ends: its progress goes.
    act(() => model.applyEvent({ ...rows[2], job: 'main', status: 'SUCCESS', run_status: 'OK' }));
    rerender(<StatusPanelView model={model} actions={actions} />);
    expect(screen.queryByLabelText('cells 1 of 3')).toBeNull();
    model.dispose();
  });
});

describe('DoneNotifier', () => {
  it('notifies once per map started here, with the counts and a way to the panel, then closes the stream', () => {
    const notified: { text: string; type: string; open: () => void }[] = [];
    const opened: string[] = [];
    const notifier = new DoneNotifier({
      eventsUrl: job => `events?job=${job}`,
      openStatus: (job, g) => opened.push(`${job}:${g}`),
      openEvents: url => new FakeEventStream(url),
      notify: (text, options) => notified.push({ text, ...options })
    });
    notifier.watch('main', 'abcd1234');
    const stream = FakeEventStream.last!;
    expect(stream.url).toBe('events?job=main');
    const done = { job: 'main', task_group: 'abcd1234', round: 'r1', count: 4, counts: { OK: 3, ERROR: 1 }, duration: 75, failed: ['tasks/main/abcd1234-1'], ts: '' };
    const other = { ...done, task_group: 'ffff0000' };
    for (const listener of stream.listeners['group-done']) listener(message(other));
    expect(notified).toEqual([]);
    for (const listener of stream.listeners['group-done']) listener(message(done));
    for (const listener of stream.listeners['group-done']) listener(message(done));
    expect(notified.map(n => [n.text, n.type])).toEqual([['nbgrid map of main (abcd1234) finished in 1 min 15 s: 3 OK, 1 ERROR', 'warning']]);
    notified[0].open();
    expect(opened).toEqual(['main:abcd1234']);
    expect(stream.closed).toBe(true);
    expect(doneMessage({ ...done, counts: { OK: 4, ERROR: 0 }, duration: 5 })).toContain('4 OK, 0 ERROR');
  });
});
