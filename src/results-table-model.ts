/**
 * Sorting and typing of a results table (`GET .../results?format=table`) for the Results view:
 * pure functions, so they are tested without a browser.
 */
import type { IResultsTable } from './types';

/** A sort of the table: by a column, ascending or not. */
export interface ISort {
  column: number;
  ascending: boolean;
}

/** Orders cells as a person expects: numbers by value, then strings, then others as JSON; nulls last. */
export function compareCells(a: unknown, b: unknown): number {
  const rank = (v: unknown) => (v === null || v === undefined ? 3 : typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) {
    return ra - rb;
  }
  if (ra === 0) {
    return (a as number) - (b as number);
  }
  if (ra === 1) {
    return (a as string).localeCompare(b as string, undefined, { numeric: true });
  }
  return ra === 3 ? 0 : JSON.stringify(a).localeCompare(JSON.stringify(b));
}

/** Row indexes in the order of `sort` (stable: ties keep parameter order; nulls stay last either way). */
export function sortedRows(table: Pick<IResultsTable, 'rows'>, sort: ISort | null): number[] {
  const order = table.rows.map((_, i) => i);
  if (!sort) {
    return order;
  }
  const { column, ascending } = sort;
  return order.sort((i, j) => {
    const a = table.rows[i][column];
    const b = table.rows[j][column];
    const none = (v: unknown) => v === null || v === undefined;
    if (none(a) !== none(b)) {
      return none(a) ? 1 : -1;
    }
    const c = compareCells(a, b);
    return (ascending ? c : -c) || i - j;
  });
}

/** Columns whose non-null cells are all numbers (at least one): what the chart can draw. */
export function numericColumns(table: Pick<IResultsTable, 'rows' | 'columns'>): number[] {
  return table.columns
    .map((_, c) => c)
    .filter(c => {
      const cells = table.rows.map(r => r[c]).filter(v => v !== null && v !== undefined);
      return cells.length > 0 && cells.every(v => typeof v === 'number');
    });
}

/** A cell as text in the table. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Whether a row is of a task that did not run OK (marked in the view). */
export function isFailedRow(table: Pick<IResultsTable, 'columns' | 'rows'>, row: number): boolean {
  const status = table.columns.lastIndexOf('status');
  const runStatus = table.columns.lastIndexOf('run_status');
  return table.rows[row][runStatus] === 'ERROR' || table.rows[row][status] === 'FAILURE';
}
