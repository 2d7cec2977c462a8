import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';
import { parameterCount, parseParameters, PARAMETER_HELP } from './parameters';
import { labelError } from './label-rule';
import { type INotebookParameter, type IWorkerInfo, type MapRequest } from './types';
import { gridOf, gridTaskCount, type GridMode } from './grid-values';
import { ParameterGrid } from './parameter-grid';
import { applyReduceCache, ReduceCacheFields, type IReduceCacheForm } from './map-dialog-reduce';
import { ScheduleFields, SAVE_AS_SCHEDULE, scheduleOfForm, type IScheduleChoice, type IScheduleForm } from './schedule-fields';

/** What the person typed in the map dialog. */
export interface IMapForm extends IReduceCacheForm, IScheduleForm {
  parameters: string;
  require: string;
  cellTimeout: string;
  /** Values typed per notebook parameter (the grid), by parameter name. */
  grid?: Record<string, string>;
  /** How the grid's lists combine. @defaultValue 'product' */
  mode?: GridMode;
}

/** Whether any notebook parameter has values typed. */
const hasGrid = (form: IMapForm): boolean => Object.values(form.grid ?? {}).some(v => v.trim() !== '');

/** Checks a form; returns the request to send or the message to show in the dialog. */
export function validateMapForm(form: IMapForm): { request: MapRequest } | { error: string } {
  let request: MapRequest;
  try {
    if (hasGrid(form)) {
      if (form.parameters.trim()) {
        return { error: "Give values for the notebook's parameters or a Parameters list, not both." };
      }
      const grid = gridOf(form.grid ?? {});
      gridTaskCount(grid, form.mode);
      request = { grid, ...(form.mode === 'zip' ? { mode: 'zip' as const } : {}) };
    } else {
      request = { ...parseParameters(form.parameters) };
    }
  } catch (error) {
    return { error: (error as Error).message };
  }
  const require = form.require.trim();
  if (require) {
    const labelProblem = labelError(require);
    if (labelProblem !== null) {
      return { error: labelProblem };
    }
    request.require = require;
  }
  const timeout = form.cellTimeout.trim();
  if (timeout) {
    const seconds = Number(timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      return { error: `The cell timeout must be a number of seconds above 0, not "${timeout}".` };
    }
    request.cell_timeout = seconds;
  }
  const reduceError = applyReduceCache(form, request);
  if (reduceError) {
    return { error: reduceError };
  }
  return { request };
}

/**
 * The notebook parameters the dialog offers values for: all but `job`, which nbgrid injects itself
 * (a notebook written for nbgrid declares only `job` and reads `job['param']`).
 */
export function offeredParameters(parameters: INotebookParameter[]): INotebookParameter[] {
  return parameters.filter(p => p.name !== 'job');
}

/** Labels of live workers with how many workers serve each. */
export function workerLabels(workers: IWorkerInfo[]): { label: string; workers: number }[] {
  const counts = new Map<string, number>();
  for (const worker of workers) {
    for (const label of worker.labels) {
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
  }
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([label, n]) => ({ label, workers: n }));
}

export function MapForm(props: {
  form: IMapForm;
  workers: IWorkerInfo[];
  error: string;
  onChange: (form: IMapForm) => void;
  /** The notebook's own parameters: one row each to type values into. */
  parameters?: INotebookParameter[];
}): JSX.Element {
  const { form, workers, onChange } = props;
  const labels = workerLabels(workers);
  const checked = form.parameters.trim() || hasGrid(form) ? validateMapForm(form) : null;
  const error = props.error || (checked && 'error' in checked ? checked.error : '');
  const summary = checked && 'request' in checked ? `${parameterCount(checked.request)} tasks` : '';
  return (
    <div className="jp-nbgrid-MapForm">
      {props.parameters && props.parameters.length > 0 ? (
        <ParameterGrid
          parameters={props.parameters}
          values={form.grid ?? {}}
          mode={form.mode ?? 'product'}
          // Values typed for the notebook's parameters replace the plain list (e.g. the last map's range).
          onChange={(grid, mode) => onChange({ ...form, grid, mode, parameters: Object.values(grid).some(v => v.trim()) ? '' : form.parameters })}
        />
      ) : null}
      <label>
        <span>{props.parameters && props.parameters.length > 0 ? 'Or a list of parameters (job["param"])' : 'Parameters'}</span>
        <input
          className="jp-mod-styled jp-nbgrid-MapForm-parameters"
          name="parameters"
          value={form.parameters}
          placeholder="range(10)"
          title={PARAMETER_HELP}
          autoFocus={!props.parameters?.length}
          onChange={e => onChange({ ...form, parameters: e.target.value })}
        />
      </label>
      <div className="jp-nbgrid-MapForm-hint">range(10), range(2, 10, 2), [1, "a", {'{'}"x": 2{'}'}] …</div>
      <label>
        <span>Run on workers labelled</span>
        <input
          className="jp-mod-styled jp-nbgrid-MapForm-require"
          name="require"
          list="jp-nbgrid-worker-labels"
          value={form.require}
          placeholder="default"
          onChange={e => onChange({ ...form, require: e.target.value })}
        />
        <datalist id="jp-nbgrid-worker-labels">
          {labels.map(({ label }) => (
            <option key={label} value={label} />
          ))}
        </datalist>
      </label>
      <div className="jp-nbgrid-MapForm-hint jp-nbgrid-MapForm-workers">
        {labels.length
          ? 'Live: ' + labels.map(({ label, workers: n }) => `${label} (${n} worker${n === 1 ? '' : 's'})`).join(', ')
          : 'No live worker: tasks will wait in the queue until one starts.'}
      </div>
      <label>
        <span>Cell timeout (seconds, optional)</span>
        <input
          className="jp-mod-styled jp-nbgrid-MapForm-timeout"
          name="cellTimeout"
          type="number"
          min={1}
          value={form.cellTimeout}
          onChange={e => onChange({ ...form, cellTimeout: e.target.value })}
        />
      </label>
      <ReduceCacheFields form={form} onChange={onChange} />
      <ScheduleFields form={form} onChange={onChange} />
      {error ? (
        <div className="jp-nbgrid-MapForm-error" role="alert">
          {error}
        </div>
      ) : summary ? (
        <div className="jp-nbgrid-MapForm-summary">{summary}</div>
      ) : null}
    </div>
  );
}

/** Dialog body holding the form's state, so `getValue()` can read it when a button is pressed. */
export class MapDialogBody extends ReactWidget implements Dialog.IBodyWidget<IMapForm> {
  constructor(
    private _form: IMapForm,
    private readonly _workers: IWorkerInfo[],
    private readonly _error = '',
    parameters: INotebookParameter[] = []
  ) {
    super();
    this.addClass('jp-nbgrid-MapDialog');
    this._parameters = offeredParameters(parameters);
  }

  private readonly _parameters: INotebookParameter[];

  getValue(): IMapForm {
    return this._form;
  }

  protected render(): JSX.Element {
    return (
      <MapForm
        form={this._form}
        workers={this._workers}
        parameters={this._parameters}
        error={this._error && this._form === this._initial ? this._error : ''}
        onChange={form => {
          this._form = form;
          this.update();
        }}
      />
    );
  }

  private readonly _initial = this._form;
}

/**
 * Asks for the parameters of a map until they are valid or the person cancels.
 * Resolves to the request to send, or null when cancelled.
 */
export async function askMapRequest(
  job: string,
  workers: IWorkerInfo[],
  initial: IMapForm,
  parameters: INotebookParameter[] = []
): Promise<{ request: MapRequest; form: IMapForm; schedule?: IScheduleChoice } | null> {
  // Values typed for another notebook's parameters (the last form) do not carry over.
  const names = new Set(parameters.map(p => p.name));
  let form: IMapForm = { ...initial, grid: Object.fromEntries(Object.entries(initial.grid ?? {}).filter(([name]) => names.has(name))) };
  let error = '';
  for (;;) {
    const result = await showDialog({
      title: `Map ${job}`,
      body: new MapDialogBody(form, workers, error, parameters),
      // Map stays the first accepting button and the one Enter presses.
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Map' }), Dialog.okButton({ label: SAVE_AS_SCHEDULE, displayType: 'default' })],
      defaultButton: 1,
      focusNodeSelector: 'input'
    });
    if (!result.button.accept || !result.value) {
      return null;
    }
    form = result.value;
    const checked = validateMapForm(form);
    const schedule = result.button.label === SAVE_AS_SCHEDULE ? scheduleOfForm(form) : null;
    if (schedule && 'error' in schedule) {
      error = schedule.error;
      continue;
    }
    if ('request' in checked) {
      return schedule ? { request: checked.request, form, schedule } : { request: checked.request, form };
    }
    error = checked.error;
  }
}
