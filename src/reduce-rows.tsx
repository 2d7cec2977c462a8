import React from 'react';
import type { IStatusRow, ITaskEvent } from './types';

/** Status rows in panel order: the tasks by job_id, then the group's reduce row. */
export function rowOrder(a: IStatusRow, b: IStatusRow): number {
  return Number(a.reduce_round !== undefined) - Number(b.reduce_round !== undefined) || a.job_id - b.job_id;
}

/** Index of the row an event updates: a reduce row by name only (its job_id 0 is also task 0's). */
export function rowIndexOf(rows: IStatusRow[], event: ITaskEvent): number {
  if (event.reduce_round !== undefined) {
    return rows.findIndex(row => row.name === event.name);
  }
  return rows.findIndex(row => row.reduce_round === undefined && (row.name === event.name || row.job_id === event.job_id));
}

/** The marks after a row's name: the group's reduce row, or a task answered by the cache. */
export function RowMarks(props: { row: IStatusRow }): JSX.Element | null {
  const { row } = props;
  if (row.reduce_round !== undefined) {
    return (
      <span
        className="jp-nbgrid-Badge jp-nbgrid-Mark jp-nbgrid-Mark-reduce"
        title={`The reduce notebook of this group, round ${row.reduce_round}: runs once every task is final`}
      >
        reduce
      </span>
    );
  }
  if (row.cached_from) {
    return (
      <span className="jp-nbgrid-Badge jp-nbgrid-Mark jp-nbgrid-Mark-cached" title={`Not run: reuses the OK run of ${row.cached_from}`}>
        cached
      </span>
    );
  }
  return null;
}
