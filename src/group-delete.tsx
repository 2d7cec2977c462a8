import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { Button } from '@jupyterlab/ui-components';
import React from 'react';
import { NbgridError } from './errors';
import type { StatusModel } from './status-model';

/** Bytes as a person reads them. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Asks before deleting; resolves true to go on. */
async function confirmDelete(title: string, body: string): Promise<boolean> {
  const result = await showDialog({ title, body, buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })] });
  return result.button.accept;
}

/**
 * Deletes task groups of the panel's job after a confirmation saying how many tasks and bytes go
 * (asked of the service as a dry run). A group with queued or running tasks is refused by the
 * service: the message says to cancel it first, and nothing is deleted.
 * @returns the groups deleted
 */
export async function deleteGroups(
  model: StatusModel,
  groups: string[],
  confirm: (title: string, body: string) => Promise<boolean> = confirmDelete
): Promise<string[]> {
  let tasks = 0;
  let bytes = 0;
  try {
    for (const g of groups) {
      const dry = await model.client.cleanup({ job: model.job, task_group: g, dry_run: true });
      tasks += dry.tasks;
      bytes += dry.bytes + dry.blob_bytes;
    }
  } catch (error) {
    Notification.error(`Cannot delete: ${error instanceof NbgridError ? error.message : String(error)}`, { autoClose: 8000 });
    return [];
  }
  const what = groups.length === 1 ? `group ${groups[0]}` : `${groups.length} groups`;
  const ok = await confirm(
    `Delete ${what}?`,
    `${tasks} task${tasks === 1 ? '' : 's'} and ${formatBytes(bytes)} go: task notebooks, run history and result notebooks of ${what} of ${model.job}.`
  );
  if (!ok) {
    return [];
  }
  const deleted: string[] = [];
  try {
    for (const g of groups) {
      await model.client.cleanup({ job: model.job, task_group: g });
      deleted.push(g);
    }
    Notification.success(`Deleted ${what} (${tasks} tasks, ${formatBytes(bytes)}).`, { autoClose: 5000 });
  } catch (error) {
    Notification.error(`Delete failed: ${error instanceof NbgridError ? error.message : String(error)}`, { autoClose: 8000 });
  }
  await model.refresh();
  return deleted;
}

/** The panel's bulk selection of groups and its Delete button. */
export function useGroupSelection(): { selected: Set<string>; toggle: (group: string) => void; clear: () => void } {
  const [selected, setSelected] = React.useState<Set<string>>(new Set());
  return {
    selected,
    toggle: group =>
      setSelected(prev => {
        const next = new Set(prev);
        if (next.has(group)) {
          next.delete(group);
        } else {
          next.add(group);
        }
        return next;
      }),
    clear: () => setSelected(new Set())
  };
}

export function DeleteSelectedButton(props: { model: StatusModel; selected: Set<string>; onDone: () => void }): JSX.Element {
  const { model, selected, onDone } = props;
  const [busy, setBusy] = React.useState(false);
  const n = selected.size;
  return (
    <Button
      small
      minimal
      className="jp-nbgrid-DeleteSelected"
      disabled={busy || n === 0}
      title="Delete the selected task groups: their tasks, run history and result notebooks"
      onClick={() => {
        setBusy(true);
        void deleteGroups(model, [...selected]).then(() => {
          setBusy(false);
          onDone();
        });
      }}
    >
      {n ? `Delete ${n} selected` : 'Delete selected'}
    </Button>
  );
}

export function GroupCheckbox(props: { taskGroup: string; checked: boolean; onChange: () => void }): JSX.Element {
  return (
    <input
      type="checkbox"
      className="jp-nbgrid-Group-select"
      aria-label={`Select group ${props.taskGroup}`}
      checked={props.checked}
      onChange={props.onChange}
    />
  );
}
