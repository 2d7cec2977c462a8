import { Notification } from '@jupyterlab/apputils';
import { Button, closeIcon, refreshIcon } from '@jupyterlab/ui-components';
import React from 'react';
import { NbgridError } from './errors';
import type { StatusModel } from './status-model';
import type { IStatusRow } from './types';

/** Queue states in which a task can still be cancelled. */
const CANCELLABLE = new Set(['PENDING', 'STARTED', 'RETRY']);

/**
 * Restart and cancel of one task row: `restart`/`cancel` with `tasks: [name]` (a restart re-runs
 * the task whatever its state; a cancel is offered while it is queued or running).
 */
export function TaskRowActions(props: { model: StatusModel; taskGroup: string; row: IStatusRow }): JSX.Element {
  const { model, taskGroup, row } = props;
  const [busy, setBusy] = React.useState(false);
  const task = row.name.split('/').pop() ?? row.name;
  const act = async (what: string, call: () => Promise<string>) => {
    setBusy(true);
    try {
      Notification.info(await call(), { autoClose: 4000 });
      await model.refresh();
    } catch (error) {
      const message = error instanceof NbgridError ? error.message : String(error);
      Notification.error(`${what}: ${message}`, { autoClose: 8000 });
    } finally {
      setBusy(false);
    }
  };
  const restart = () =>
    act(`Restart of ${task} failed`, async () => {
      const result = await model.client.restart(model.job, { task_group: taskGroup, tasks: [row.name] });
      return result.restarted.length ? `Restarted ${task}.` : `${task} was not restarted.`;
    });
  const cancel = () =>
    act(`Cancel of ${task} failed`, async () => {
      const result = await model.client.cancel(model.job, { task_group: taskGroup, tasks: [row.name] });
      return result.revoked ? `Cancelled ${task}.` : `${task} was no longer queued or running.`;
    });
  return (
    <span className="jp-nbgrid-RowActions">
      <Button
        small
        minimal
        className="jp-nbgrid-RowAction jp-nbgrid-RowAction-restart"
        disabled={busy}
        title={`Restart ${task} (re-runs it whatever its state)`}
        aria-label={`Restart ${task}`}
        onClick={() => void restart()}
      >
        <refreshIcon.react tag="span" elementSize="small" />
      </Button>
      <Button
        small
        minimal
        className="jp-nbgrid-RowAction jp-nbgrid-RowAction-cancel"
        disabled={busy || !CANCELLABLE.has(row.status)}
        title={CANCELLABLE.has(row.status) ? `Cancel ${task}` : `${task} is ${row.status}: nothing to cancel`}
        aria-label={`Cancel ${task}`}
        onClick={() => void cancel()}
      >
        <closeIcon.react tag="span" elementSize="small" />
      </Button>
    </span>
  );
}
