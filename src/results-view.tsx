import { Notification } from '@jupyterlab/apputils';
import { Button } from '@jupyterlab/ui-components';
import React from 'react';
import { NbgridError } from './errors';
import { ResultsChart } from './results-chart';
import { cellText, isFailedRow, numericColumns, sortedRows, type ISort } from './results-table-model';
import type { INbgridClient } from './tokens';
import type { IResultsTable } from './types';

/** Saves text as a file through the browser (an anchor with a Blob URL). */
export function downloadText(text: string, filename: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

function message(error: unknown): string {
  return error instanceof NbgridError ? error.message : String(error);
}

/** The results table of a group: sortable by any column, failed rows marked, CSV, a chart. */
export function ResultsTableView(props: { table: IResultsTable; onCsv?: () => void }): JSX.Element {
  const { table } = props;
  const [sort, setSort] = React.useState<ISort | null>(null);
  const numeric = numericColumns(table).filter(c => table.kinds[c] === 'result' || table.kinds[c] === 'scrap');
  const params = table.columns.map((_, c) => c).filter(c => table.kinds[c] === 'param');
  const [y, setY] = React.useState<number | null>(numeric[0] ?? null);
  const [x, setX] = React.useState<number | null>(params[0] ?? null);
  const order = sortedRows(table, sort);
  const onHeader = (column: number) =>
    setSort(sort && sort.column === column ? { column, ascending: !sort.ascending } : { column, ascending: true });
  return (
    <div className="jp-nbgrid-Results" data-results-group={table.task_group}>
      <div className="jp-nbgrid-Results-toolbar">
        <span className="jp-nbgrid-Results-count">
          {table.rows.length} rows · {table.rows.filter((_, i) => isFailedRow(table, i)).length} failed
        </span>
        {props.onCsv ? (
          <Button small minimal onClick={props.onCsv} title="Download the table as CSV">
            Download CSV
          </Button>
        ) : null}
      </div>
      <div className="jp-nbgrid-TaskTable-scroll">
        <table className="jp-nbgrid-ResultsTable">
          <thead>
            <tr>
              {table.columns.map((column, c) => (
                <th
                  key={column}
                  className={`jp-nbgrid-ResultsTable-${table.kinds[c]}`}
                  aria-sort={sort?.column === c ? (sort.ascending ? 'ascending' : 'descending') : 'none'}
                >
                  <button className="jp-nbgrid-Link" title={`Sort by ${column}`} onClick={() => onHeader(c)}>
                    {column}
                    {sort?.column === c ? (sort.ascending ? ' ▲' : ' ▼') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {order.map(i => (
              <tr key={i} data-row={i} className={isFailedRow(table, i) ? 'jp-nbgrid-ResultsRow jp-nbgrid-ResultsRow-failed' : 'jp-nbgrid-ResultsRow'}>
                {table.rows[i].map((cell, c) => (
                  <td key={c} className={typeof cell === 'number' ? 'jp-nbgrid-num' : undefined} title={cellText(cell)}>
                    {cellText(cell)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {numeric.length > 0 && params.length > 0 && y !== null && x !== null ? (
        <div className="jp-nbgrid-Results-chart">
          <label>
            <span>Chart</span>
            <select className="jp-mod-styled" aria-label="value to chart" value={y} onChange={e => setY(Number(e.target.value))}>
              {numeric.map(c => (
                <option key={c} value={c}>
                  {table.columns[c]}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>against</span>
            <select className="jp-mod-styled" aria-label="parameter of the x axis" value={x} onChange={e => setX(Number(e.target.value))}>
              {params.map(c => (
                <option key={c} value={c}>
                  {table.columns[c]}
                </option>
              ))}
            </select>
          </label>
          <ResultsChart table={table} x={x} y={y} />
        </div>
      ) : null}
    </div>
  );
}

/** Loads a group's results table and shows it; reloads when `version` changes (tasks finished). */
export function ResultsView(props: { client: INbgridClient; job: string; taskGroup: string; version?: string }): JSX.Element {
  const { client, job, taskGroup, version } = props;
  const [table, setTable] = React.useState<IResultsTable | null>(null);
  const [error, setError] = React.useState('');
  React.useEffect(() => {
    let live = true;
    if (!client.resultsTable) {
      setError('This nbgrid client cannot read results tables.');
      return;
    }
    client.resultsTable(job, taskGroup).then(
      t => live && (setTable(t), setError('')),
      e => live && setError(message(e))
    );
    return () => {
      live = false;
    };
  }, [client, job, taskGroup, version]);
  const csv = async () => {
    try {
      const text = client.resultsCsv ? await client.resultsCsv(job, taskGroup) : '';
      downloadText(text, `${job.replace(/[^\w.-]+/g, '_')}-${taskGroup}.csv`);
    } catch (e) {
      Notification.error(`Cannot download the results of ${taskGroup}: ${message(e)}`, { autoClose: 8000 });
    }
  };
  if (error) {
    return <div className="jp-nbgrid-Error">{error}</div>;
  }
  if (!table) {
    return <div className="jp-nbgrid-Empty">Loading results…</div>;
  }
  return <ResultsTableView table={table} onCsv={() => void csv()} />;
}
