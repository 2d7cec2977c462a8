import { Notification, showDialog, Dialog } from '@jupyterlab/apputils';
import { Button, ReactWidget, UseSignal, caretDownIcon, caretRightIcon } from '@jupyterlab/ui-components';
import React from 'react';
import { NbgridError } from './errors';
import { ResultsView } from './results-view';
import type { StatusModel } from './status-model';
import { GroupEstimateView, TaskProgressView } from './progress-views';
import { TaskRowActions } from './task-row-actions';
import { QUEUE_STATES, type IStatusRow, type ITaskGroup } from './types';
import { RowMarks } from './reduce-rows';
import { SchedulesView } from './schedules-view';
import { DeleteSelectedButton, GroupCheckbox, useGroupSelection } from './group-delete';

/** What the panel asks of its surroundings, so it stays testable without a JupyterLab shell. */
export interface IStatusPanelActions {
  /** Opens a task or result notebook stored in nbgrid. */
  openNotebook(name: string): void;
  /** Asks before a destructive action; resolves true to go on. */
  confirm(title: string, body: string): Promise<boolean>;
  /** Opens a running task's notebook as executed so far (read-only). */
  openPartial?(row: IStatusRow): void;
}

/** The default `confirm`: a JupyterLab dialog. */
export async function confirmWithDialog(title: string, body: string): Promise<boolean> {
  const result = await showDialog({
    title,
    body,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Reset' })]
  });
  return result.button.accept;
}

/** Name of a task's notebook: task rows are named without the `.ipynb` the notebook has. */
export function taskNotebookName(row: IStatusRow): string {
  return row.name.endsWith('.ipynb') ? row.name : `${row.name}.ipynb`;
}

function formatDuration(seconds: number | null): string {
  if (seconds === null || seconds === undefined) {
    return '';
  }
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function reportError(what: string, error: unknown): void {
  const message = error instanceof NbgridError ? error.message : String(error);
  Notification.error(`${what}: ${message}`, { autoClose: 8000 });
}

/** A stacked bar with one segment per queue state. */
export function ProgressBar(props: { model: StatusModel; taskGroup: string }): JSX.Element {
  const progress = props.model.progress(props.taskGroup);
  const total = Math.max(progress.total, 1);
  const label = QUEUE_STATES.filter(state => progress.counts[state] > 0)
    .map(state => `${progress.counts[state]} ${state}`)
    .join(', ');
  return (
    <div
      className="jp-nbgrid-Progress"
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={progress.total}
      aria-valuenow={progress.done}
      aria-label={label || 'no tasks'}
      title={label}
    >
      {QUEUE_STATES.map(state =>
        progress.counts[state] > 0 ? (
          <div
            key={state}
            className={`jp-nbgrid-Progress-segment jp-nbgrid-state-${state}`}
            style={{ width: `${(100 * progress.counts[state]) / total}%` }}
          />
        ) : null
      )}
    </div>
  );
}

function TaskTable(props: { rows: IStatusRow[]; actions: IStatusPanelActions; model?: StatusModel; taskGroup?: string }): JSX.Element {
  const { rows, actions, model, taskGroup } = props;
  return (
    <div className="jp-nbgrid-TaskTable-scroll">
      <table className="jp-nbgrid-TaskTable">
        <thead>
          <tr>
            <th>name</th>
            <th>task_id</th>
            <th>status</th>
            <th>run_status</th>
            <th>duration</th>
            <th>worker</th>
            <th>result</th>
            {model ? <th aria-label="actions" className="jp-nbgrid-RowActions-cell" /> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map(row => (
            <React.Fragment key={row.name}>
              <tr data-task-name={row.name} className={`jp-nbgrid-TaskRow jp-nbgrid-run-${row.run_status}`}>
                <td className="jp-nbgrid-nowrap">
                  <button
                    className="jp-nbgrid-Link"
                    title={`Open the task notebook ${taskNotebookName(row)}`}
                    onClick={() => actions.openNotebook(taskNotebookName(row))}
                  >
                    {row.name.split('/').pop()}
                  </button>
                  <RowMarks row={row} />
                </td>
                <td className="jp-nbgrid-mono jp-nbgrid-TaskId" title={row.task_id}>
                  {row.task_id}
                </td>
                <td>
                  <span className={`jp-nbgrid-Badge jp-nbgrid-state-${row.status}`}>{row.status}</span>
                </td>
                <td className={`jp-nbgrid-runStatus jp-nbgrid-runStatus-${row.run_status}`}>{row.run_status}</td>
                <td className="jp-nbgrid-nowrap">{formatDuration(row.duration)}</td>
                <td className="jp-nbgrid-mono jp-nbgrid-nowrap">{row.worker ?? ''}</td>
                <td>
                  {row.results ? (
                    <button
                      className="jp-nbgrid-Link"
                      title={`Open the result notebook ${row.results}`}
                      onClick={() => actions.openNotebook(row.results as string)}
                    >
                      result
                    </button>
                  ) : null}
                </td>
                {model && taskGroup ? (
                  <td className="jp-nbgrid-nowrap jp-nbgrid-RowActions-cell">
                    <TaskRowActions model={model} taskGroup={taskGroup} row={row} />
                  </td>
                ) : null}
              </tr>
              {model?.progressOf(row) ? (
                <tr className="jp-nbgrid-ProgressRow" data-progress-for={row.name}>
                  <td colSpan={8}>
                    <TaskProgressView
                      progress={model.progressOf(row)!}
                      onOpenPartial={actions.openPartial ? () => actions.openPartial!(row) : undefined}
                    />
                  </td>
                </tr>
              ) : null}
              {row.message ? (
                // The message gets the table's full width: it is what a person reads first on an error.
                <tr className={`jp-nbgrid-MessageRow jp-nbgrid-run-${row.run_status}`} data-message-for={row.name}>
                  <td colSpan={model ? 8 : 7}>
                    <div className="jp-nbgrid-Message" title={row.message}>
                      {row.message}
                    </div>
                  </td>
                </tr>
              ) : null}
            </React.Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function GroupView(props: {
  model: StatusModel;
  group: ITaskGroup;
  actions: IStatusPanelActions;
  selection?: ReturnType<typeof useGroupSelection>;
}): JSX.Element {
  const { model, group, actions, selection } = props;
  const [busy, setBusy] = React.useState(false);
  const [showResults, setShowResults] = React.useState(false);
  const expanded = model.isExpanded(group.task_group);
  const rows = model.rows(group.task_group);
  const progress = model.progress(group.task_group);
  const run = async (what: string, action: () => Promise<string>) => {
    setBusy(true);
    try {
      Notification.info(await action(), { autoClose: 4000 });
    } catch (error) {
      reportError(what, error);
    } finally {
      setBusy(false);
    }
  };
  const restart = () =>
    run('Restart failed', async () => {
      const n = await model.restart(group.task_group);
      return n ? `Restarted ${n} task${n === 1 ? '' : 's'} of ${group.task_group}.` : 'Every task already has an OK run.';
    });
  const reset = async () => {
    const ok = await actions.confirm(
      'Reset all tasks?',
      `Re-run all ${group.count} tasks of group ${group.task_group} of ${model.job}, including those that succeeded.`
    );
    if (ok) {
      await run('Reset failed', async () => {
        const n = await model.restart(group.task_group, true);
        return `Re-running all ${n} tasks of ${group.task_group}.`;
      });
    }
  };
  const cancel = () =>
    run('Cancel failed', async () => {
      const n = await model.cancel(group.task_group);
      return `Cancelled ${n} task${n === 1 ? '' : 's'} of ${group.task_group}.`;
    });
  const Caret = expanded ? caretDownIcon : caretRightIcon;
  return (
    <section className="jp-nbgrid-Group" data-task-group={group.task_group}>
      <div className="jp-nbgrid-Group-header">
        {selection ? (
          <GroupCheckbox
            taskGroup={group.task_group}
            checked={selection.selected.has(group.task_group)}
            onChange={() => selection.toggle(group.task_group)}
          />
        ) : null}
        <button
          className="jp-nbgrid-Group-toggle"
          aria-expanded={expanded}
          title={expanded ? 'Hide tasks' : 'Show tasks'}
          onClick={() => void model.toggle(group.task_group)}
        >
          <Caret.react tag="span" />
          <span className="jp-nbgrid-mono">{group.task_group}</span>
        </button>
        <span className="jp-nbgrid-Group-meta">
          {new Date(group.created).toLocaleString()} · require {group.require || 'default'} ·{' '}
          <span className="jp-nbgrid-Group-count">
            {progress.done}/{progress.total} done
          </span>
          {progress.counts.FAILURE > 0 ? ` · ${progress.counts.FAILURE} failed` : ''}
          {model.estimate(group.task_group) ? (
            <>
              {' · '}
              <GroupEstimateView estimate={model.estimate(group.task_group)!} />
            </>
          ) : null}
        </span>
        <span className="jp-nbgrid-Group-actions">
          <Button small minimal disabled={busy} onClick={() => void restart()} title="Re-run tasks that have no OK run">
            Restart
          </Button>
          <Button small minimal disabled={busy} onClick={() => void reset()} title="Re-run all tasks">
            Reset
          </Button>
          <Button small minimal disabled={busy} onClick={() => void cancel()} title="Revoke queued tasks, interrupt running ones">
            Cancel
          </Button>
          <Button
            small
            minimal
            className="jp-nbgrid-ResultsToggle"
            aria-pressed={showResults}
            onClick={() => setShowResults(!showResults)}
            title="Parameters, returned and glued values, status: one row per task"
          >
            Results
          </Button>
        </span>
      </div>
      <ProgressBar model={model} taskGroup={group.task_group} />
      {showResults ? (
        <ResultsView client={model.client} job={model.job} taskGroup={group.task_group} version={`${progress.done}/${progress.total}`} />
      ) : null}
      {expanded ? (
        rows ? (
          <TaskTable rows={rows} actions={actions} model={model} taskGroup={group.task_group} />
        ) : (
          <div className="jp-nbgrid-Empty">Loading tasks…</div>
        )
      ) : null}
    </section>
  );
}

/** The whole panel of one job; re-renders on every model change. */
export function StatusPanelView(props: { model: StatusModel; actions: IStatusPanelActions }): JSX.Element {
  const { model, actions } = props;
  const selection = useGroupSelection();
  return (
    <div className="jp-nbgrid-StatusPanel">
      <header className="jp-nbgrid-StatusPanel-header">
        <h2>{model.job}</h2>
        <span
          className={`jp-nbgrid-Live ${model.live ? 'jp-mod-live' : ''}`}
          title={model.live ? 'Receiving live updates' : 'Not connected to the event stream'}
        >
          {model.live ? 'live' : 'offline'}
        </span>
        {model.groups.length > 0 ? <DeleteSelectedButton model={model} selected={selection.selected} onDone={selection.clear} /> : null}
      </header>
      <SchedulesView model={model} />
      {model.error ? <div className="jp-nbgrid-Error">{model.error.message}</div> : null}
      {model.groups.length === 0 && !model.error ? (
        <div className="jp-nbgrid-Empty">No map of {model.job} yet.</div>
      ) : null}
      {model.groups.map(group => (
        <GroupView key={group.task_group} model={model} group={group} actions={actions} selection={selection} />
      ))}
    </div>
  );
}

/** The status panel widget: live progress and controls of one job. */
export class StatusPanel extends ReactWidget {
  constructor(
    readonly model: StatusModel,
    private readonly _actions: IStatusPanelActions
  ) {
    super();
    this.addClass('jp-nbgrid-StatusPanelWidget');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => <StatusPanelView model={this.model} actions={this._actions} />}
      </UseSignal>
    );
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }
}
