import './jsdom-polyfills';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import React from 'react';
import { StatusModel } from '../../src/status-model';
import { StatusPanelView, type IStatusPanelActions } from '../../src/status-panel';
import { FakeEventStream, fakeClient, group, row } from './fake-client';

function setup(confirmed = true) {
  const rows = [
    row(0, { status: 'SUCCESS', run_status: 'OK', duration: 2.25, worker: 'nbgrid@w1', results: 'results/tasks/main/abcd1234-0.ipynb_t.ipynb' }),
    row(1, { status: 'FAILURE', run_status: 'ERROR', message: 'ValueError: param 1 is bad', worker: 'nbgrid@w2' }),
    row(2, { status: 'STARTED' }),
    row(3)
  ];
  const client = fakeClient([group], { abcd1234: rows });
  const model = new StatusModel({ client, job: 'main', openEvents: url => new FakeEventStream(url), refreshDelay: 10_000 });
  const actions: jest.Mocked<IStatusPanelActions> = {
    openNotebook: jest.fn(),
    confirm: jest.fn(async () => confirmed)
  };
  const view = () => render(<Panel model={model} actions={actions} />);
  return { client, model, actions, view };
}

/** Re-renders on model changes as the UseSignal of the real widget does. */
function Panel(props: { model: StatusModel; actions: IStatusPanelActions }) {
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    const onChange = () => setTick(t => t + 1);
    props.model.changed.connect(onChange);
    return () => void props.model.changed.disconnect(onChange);
  }, [props.model]);
  return <StatusPanelView model={props.model} actions={props.actions} />;
}

describe('StatusPanelView', () => {
  it('renders one row per task with status, run status, worker and message', async () => {
    const { model, view } = setup();
    view();
    await act(() => model.start());
    const table = screen.getByRole('table');
    const bodyRows = Array.from(table.querySelectorAll('tbody tr[data-task-name]')) as HTMLElement[];
    expect(bodyRows).toHaveLength(4);
    expect(within(bodyRows[0]).getByText('SUCCESS')).toBeTruthy();
    expect(within(bodyRows[0]).getByText('2.3 s')).toBeTruthy();
    expect(within(bodyRows[1]).getByText('ERROR')).toBeTruthy();
    const message = table.querySelector('[data-message-for="tasks/main/abcd1234-1"]') as HTMLElement;
    expect(within(message).getByText('ValueError: param 1 is bad')).toBeTruthy();
    expect(table.querySelectorAll('.jp-nbgrid-MessageRow')).toHaveLength(1);
    expect(within(bodyRows[1]).getByText('id-1')).toBeTruthy();
    expect(screen.getByText('2/4 done')).toBeTruthy();
    expect(screen.getByRole('progressbar').getAttribute('aria-label')).toBe('1 SUCCESS, 1 FAILURE, 1 STARTED, 1 PENDING');
    model.dispose();
  });

  it('updates a row when an event arrives', async () => {
    const { model, view } = setup();
    view();
    await act(() => model.start());
    act(() =>
      FakeEventStream.last!.emit('task', {
        name: 'tasks/main/abcd1234-3', job: 'main', task_group: 'abcd1234', job_id: 3, task_id: 'id-3b',
        status: 'SUCCESS', run_status: 'OK', message: '', worker: 'nbgrid@w2', duration: 0.5
      })
    );
    const rowOf3 = document.querySelector('[data-task-name="tasks/main/abcd1234-3"]') as HTMLElement;
    expect(within(rowOf3).getByText('id-3b')).toBeTruthy();
    expect(screen.getByText('3/4 done')).toBeTruthy();
    model.dispose();
  });

  it('opens task and result notebooks', async () => {
    const { model, actions, view } = setup();
    view();
    await act(() => model.start());
    fireEvent.click(screen.getByText('abcd1234-1'));
    fireEvent.click(screen.getByRole('button', { name: 'result' }));
    expect(actions.openNotebook.mock.calls).toEqual([
      ['tasks/main/abcd1234-1.ipynb'],
      ['results/tasks/main/abcd1234-0.ipynb_t.ipynb']
    ]);
    model.dispose();
  });

  it('restarts and cancels through the client', async () => {
    const { client, model, view } = setup();
    view();
    await act(() => model.start());
    fireEvent.click(screen.getByText('Restart'));
    await waitFor(() => expect(client.restart).toHaveBeenCalledWith('main', { task_group: 'abcd1234', reset: false }));
    await waitFor(() => expect((screen.getByText('Cancel').closest('button') as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByText('Cancel'));
    await waitFor(() => expect(client.cancel).toHaveBeenCalledWith('main', { task_group: 'abcd1234' }));
    model.dispose();
  });

  it('resets only after confirmation', async () => {
    const declined = setup(false);
    declined.view();
    await act(() => declined.model.start());
    fireEvent.click(screen.getByText('Reset'));
    await waitFor(() => expect(declined.actions.confirm).toHaveBeenCalled());
    expect(declined.client.restart).not.toHaveBeenCalled();
    declined.model.dispose();
    document.body.innerHTML = '';

    const accepted = setup(true);
    accepted.view();
    await act(() => accepted.model.start());
    fireEvent.click(screen.getAllByText('Reset')[0]);
    await waitFor(() =>
      expect(accepted.client.restart).toHaveBeenCalledWith('main', { task_group: 'abcd1234', reset: true })
    );
    accepted.model.dispose();
  });

  it('shows the service error and the empty state', async () => {
    const client = fakeClient([], {});
    const model = new StatusModel({ client, job: 'fresh', openEvents: url => new FakeEventStream(url) });
    render(<Panel model={model} actions={{ openNotebook: jest.fn(), confirm: jest.fn() }} />);
    await act(() => model.start());
    expect(screen.getByText('No map of fresh yet.')).toBeTruthy();
    model.dispose();
  });
});
