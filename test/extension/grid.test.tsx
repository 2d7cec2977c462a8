import './jsdom-polyfills';
import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { gridOf, gridTaskCount, parseValueList } from '../../src/grid-values';
import { MapForm, offeredParameters, validateMapForm, type IMapForm } from '../../src/map-dialog';
import { parameterCount } from '../../src/parameters';
import { ResultsChart, ticks } from '../../src/results-chart';
import { compareCells, isFailedRow, numericColumns, sortedRows } from '../../src/results-table-model';
import { ResultsTableView } from '../../src/results-view';
import type { INotebookParameter, IResultsTable } from '../../src/types';

const parameters: INotebookParameter[] = [
  { name: 'alpha', inferred_type_name: 'float', default: '0.5', help: 'learning rate', identifier: true },
  { name: 'n', inferred_type_name: 'None', default: '10', help: '', identifier: true },
  { name: 'class', inferred_type_name: 'None', default: "'a'", help: '', identifier: false }
];

describe('grid values', () => {
  it('reads lists, JSON lists and ranges; values are JSON when they parse, else strings', () => {
    expect(parseValueList('0.1, 0.5')).toEqual([0.1, 0.5]);
    expect(parseValueList('[1, [2, 3]]')).toEqual([1, [2, 3]]);
    expect(parseValueList('range(1, 7, 2)')).toEqual([1, 3, 5]);
    expect(parseValueList('a, b, 3')).toEqual(['a', 'b', 3]);
    expect(() => parseValueList('range(3, 1)')).toThrow(/empty/);
    expect(() => parseValueList('  ')).toThrow(/No values/);
  });

  it('counts the tasks of a product and of a zip', () => {
    const grid = gridOf({ alpha: '0.1, 0.5', n: 'range(1, 4)', class: '' });
    expect(grid).toEqual({ alpha: [0.1, 0.5], n: [1, 2, 3] });
    expect(gridTaskCount(grid)).toBe(6);
    expect(() => gridTaskCount(grid, 'zip')).toThrow(/alpha has 2, n has 3/);
    expect(gridTaskCount({ a: [1, 2], b: [3, 4] }, 'zip')).toBe(2);
    expect(parameterCount({ grid, mode: 'product' })).toBe(6);
  });
});

describe('the Map dialog with the notebook parameters', () => {
  it('builds a grid request from the values typed per parameter', () => {
    const form: IMapForm = { parameters: '', require: '', cellTimeout: '', grid: { alpha: '0.1, 0.5', n: '1, 2, 3' } };
    expect(validateMapForm(form)).toEqual({ request: { grid: { alpha: [0.1, 0.5], n: [1, 2, 3] } } });
    expect(validateMapForm({ ...form, mode: 'zip', grid: { alpha: '1,2', n: '3,4' } })).toEqual({
      request: { grid: { alpha: [1, 2], n: [3, 4] }, mode: 'zip' }
    });
    expect(validateMapForm({ ...form, parameters: 'range(3)' })).toEqual({ error: expect.stringMatching(/not both/) });
    expect(validateMapForm({ ...form, mode: 'zip' })).toEqual({ error: expect.stringMatching(/one length/) });
  });

  it('shows one row per parameter with its default, marks non-identifiers, counts the tasks, clears the plain list', () => {
    let form: IMapForm = { parameters: 'range(10)', require: '', cellTimeout: '' };
    const onChange = jest.fn((next: IMapForm) => (form = next));
    const { rerender } = render(<MapForm form={form} workers={[]} error="" onChange={onChange} parameters={parameters} />);
    const rows = Array.from(document.querySelectorAll('tr[data-parameter]'));
    expect(rows.map(r => r.getAttribute('data-parameter'))).toEqual(['alpha', 'n', 'class']);
    expect(rows[0].textContent).toContain('0.5');
    expect(rows[2].textContent).toContain("only as job['param']['class']");
    expect(rows[0].textContent).not.toContain("only as job['param']");
    fireEvent.change(screen.getByLabelText('values of alpha'), { target: { value: '0.1, 0.5' } });
    rerender(<MapForm form={form} workers={[]} error="" onChange={onChange} parameters={parameters} />);
    fireEvent.change(screen.getByLabelText('values of n'), { target: { value: 'range(1, 4)' } });
    rerender(<MapForm form={form} workers={[]} error="" onChange={onChange} parameters={parameters} />);
    expect(screen.getByText('6 tasks')).toBeTruthy();
    expect(form.parameters).toBe(''); // the last map's list gave way to the grid
  });
});

const table: IResultsTable = {
  task_group: '0a1b2c3d',
  columns: ['alpha', 'n', 'loss', 'label', 'status', 'run_status', 'duration', 'name'],
  kinds: ['param', 'param', 'result', 'scrap', 'status', 'status', 'status', 'status'],
  rows: [
    [0.1, 1, 0.5, 'b', 'SUCCESS', 'OK', 1.2, 't-0'],
    [0.1, 2, 0.25, 'a', 'SUCCESS', 'OK', 1.1, 't-1'],
    [0.5, 1, null, null, 'FAILURE', 'ERROR', 0.4, 't-2'],
    [0.5, 2, 0.75, 'c', 'SUCCESS', 'OK', 1.3, 't-3']
  ]
};

describe('the Results view', () => {
  it('sorts by any column, nulls last, ties in parameter order', () => {
    expect(sortedRows(table, { column: 2, ascending: true })).toEqual([1, 0, 3, 2]);
    expect(sortedRows(table, { column: 2, ascending: false })).toEqual([3, 0, 1, 2]);
    expect(sortedRows(table, { column: 3, ascending: true })).toEqual([1, 0, 3, 2]);
    expect(sortedRows(table, { column: 0, ascending: false })).toEqual([2, 3, 0, 1]);
    expect(compareCells(2, 10)).toBeLessThan(0);
    expect(compareCells('x10', 'x9')).toBeGreaterThan(0);
    expect(numericColumns(table)).toEqual([0, 1, 2, 6]);
    expect([0, 1, 2, 3].map(i => isFailedRow(table, i))).toEqual([false, false, true, false]);
  });

  it('renders the table with failed rows marked, sorts on a header click, and charts a numeric column', () => {
    render(<ResultsTableView table={table} onCsv={() => undefined} />);
    const names = () => Array.from(document.querySelectorAll('tbody tr')).map(r => r.lastElementChild?.textContent);
    expect(names()).toEqual(['t-0', 't-1', 't-2', 't-3']);
    expect(document.querySelectorAll('tr.jp-nbgrid-ResultsRow-failed')).toHaveLength(1);
    fireEvent.click(screen.getByTitle('Sort by loss'));
    expect(names()).toEqual(['t-1', 't-0', 't-3', 't-2']);
    fireEvent.click(screen.getByTitle('Sort by loss'));
    expect(names()).toEqual(['t-3', 't-0', 't-1', 't-2']);
    // The chart: loss against alpha, one point per row with a value (the failed one left out).
    expect(document.querySelectorAll('svg.jp-nbgrid-ResultsChart circle')).toHaveLength(3);
    expect(screen.getByText('Download CSV')).toBeTruthy();
  });

  it('spreads non-numeric x values and says when nothing can be drawn', () => {
    const { container } = render(<ResultsChart table={table} x={3} y={2} />);
    expect(container.querySelectorAll('circle')).toHaveLength(3);
    expect(container.querySelector('polyline')).toBeNull();
    const empty = render(<ResultsChart table={{ ...table, rows: [table.rows[2]] }} x={0} y={2} />);
    expect(empty.container.textContent).toMatch(/No loss values/);
    expect(ticks(0, 1, 3)).toEqual([0, 0.5, 1]);
  });
});

describe('offeredParameters', () => {
  it('leaves out job: nbgrid injects it, and a notebook written for nbgrid declares only job', () => {
    const p = (name: string) => ({ name, inferred_type_name: 'None', default: '0', help: '', identifier: true });
    expect(offeredParameters([p('job')])).toEqual([]);
    expect(offeredParameters([p('alpha'), p('job'), p('n')]).map(x => x.name)).toEqual(['alpha', 'n']);
  });
});
