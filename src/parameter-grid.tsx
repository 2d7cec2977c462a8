import React from 'react';
import type { GridMode } from './grid-values';
import type { INotebookParameter } from './types';

/**
 * One row per parameter of the notebook's `parameters` cell: its name, type and default, and a
 * field for the values to map over. Names that cannot be Python variables are marked: they reach
 * the notebook only as `job['param'][name]`.
 */
export function ParameterGrid(props: {
  parameters: INotebookParameter[];
  values: Record<string, string>;
  mode: GridMode;
  onChange: (values: Record<string, string>, mode: GridMode) => void;
}): JSX.Element {
  const { parameters, values, mode, onChange } = props;
  return (
    <fieldset className="jp-nbgrid-ParameterGrid">
      <legend>Parameters of this notebook (leave empty to keep the default)</legend>
      <table>
        <thead>
          <tr>
            <th>name</th>
            <th>default</th>
            <th>values to map</th>
          </tr>
        </thead>
        <tbody>
          {parameters.map(p => (
            <tr key={p.name} data-parameter={p.name}>
              <td className="jp-nbgrid-mono" title={p.help || undefined}>
                {p.name}
                {p.inferred_type_name !== 'None' ? <span className="jp-nbgrid-ParameterGrid-type">: {p.inferred_type_name}</span> : null}
                {p.identifier ? null : (
                  <div className="jp-nbgrid-ParameterGrid-note" title="Not a Python variable name (a keyword, or not an identifier)">
                    only as job['param']['{p.name}']
                  </div>
                )}
              </td>
              <td className="jp-nbgrid-mono jp-nbgrid-ParameterGrid-default" title={p.default}>
                {p.default}
              </td>
              <td>
                <input
                  className="jp-mod-styled jp-nbgrid-ParameterGrid-values"
                  name={`grid-${p.name}`}
                  aria-label={`values of ${p.name}`}
                  value={values[p.name] ?? ''}
                  placeholder={`e.g. ${p.default}, … or range(1, 4)`}
                  onChange={e => onChange({ ...values, [p.name]: e.target.value }, mode)}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <label className="jp-nbgrid-ParameterGrid-mode">
        <input
          type="checkbox"
          name="grid-zip"
          checked={mode === 'zip'}
          onChange={e => onChange(values, e.target.checked ? 'zip' : 'product')}
        />
        <span>pair the lists by position (zip) instead of every combination</span>
      </label>
    </fieldset>
  );
}
