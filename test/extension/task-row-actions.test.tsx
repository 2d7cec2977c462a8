import './jsdom-polyfills';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import React from 'react';
import { StatusModel } from '../../src/status-model';
import { StatusPanelView } from '../../src/status-panel';
import { FakeEventStream, fakeClient, group, row } from './fake-client';

function setup() {
  const rows = [row(0, { status: 'SUCCESS', run_status: 'OK' }), row(1, { status: 'STARTED' }), row(2, { status: 'FAILURE', run_status: 'ERROR', message: 'ValueError: x' })];
  const client = fakeClient([group], { abcd1234: rows });
  const model = new StatusModel({ client, job: 'main', openEvents: url => new FakeEventStream(url), refreshDelay: 10_000 });
  render(<Panel model={model} />);
  return { client, model };
}

/** Re-renders on model changes as the UseSignal of the real widget does. */
function Panel(props: { model: StatusModel }) {
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    const onChange = () => setTick(t => t + 1);
    props.model.changed.connect(onChange);
    return () => void props.model.changed.disconnect(onChange);
  }, [props.model]);
  return <StatusPanelView model={props.model} actions={{ openNotebook: jest.fn(), confirm: jest.fn(async () => true) }} />;
}

function bodyRow(i: number): HTMLElement {
  return document.querySelector(`tbody tr[data-task-name="tasks/main/abcd1234-${i}"]`) as HTMLElement;
}

describe('per-row restart and cancel', () => {
  it('restarts exactly the row\'s task through restart({tasks: [name]})', async () => {
    const { client, model } = setup();
    await act(() => model.start());
    const restart = within(bodyRow(0)).getByLabelText('Restart abcd1234-0');
    fireEvent.click(restart);
    await waitFor(() => expect(client.restart).toHaveBeenCalledWith('main', { task_group: 'abcd1234', tasks: ['tasks/main/abcd1234-0'] }));
    await waitFor(() => expect(client.status.mock.calls.length).toBeGreaterThan(1)); // refreshed after
    model.dispose();
  });

  it('offers cancel only while a task is queued or running, and cancels that task alone', async () => {
    const { client, model } = setup();
    await act(() => model.start());
    expect((within(bodyRow(0)).getByLabelText('Cancel abcd1234-0') as HTMLButtonElement).disabled).toBe(true);
    expect((within(bodyRow(2)).getByLabelText('Cancel abcd1234-2') as HTMLButtonElement).disabled).toBe(true);
    const cancel = within(bodyRow(1)).getByLabelText('Cancel abcd1234-1') as HTMLButtonElement;
    expect(cancel.disabled).toBe(false);
    fireEvent.click(cancel);
    await waitFor(() => expect(client.cancel).toHaveBeenCalledWith('main', { task_group: 'abcd1234', tasks: ['tasks/main/abcd1234-1'] }));
    // the message row still spans the whole table, actions column included
    expect((document.querySelector('[data-message-for="tasks/main/abcd1234-2"] td') as HTMLTableCellElement).colSpan).toBe(8);
    expect(screen.getAllByRole('columnheader')).toHaveLength(8);
    model.dispose();
  });
});
