import React from 'react';
import { compareCells } from './results-table-model';
import type { IResultsTable } from './types';

const WIDTH = 420;
const HEIGHT = 220;
const PAD = { left: 56, right: 12, top: 12, bottom: 36 };

/** Axis ticks of a numeric range: `count` evenly spaced values. */
export function ticks(min: number, max: number, count = 5): number[] {
  if (min === max) {
    return [min];
  }
  return Array.from({ length: count }, (_, i) => min + ((max - min) * i) / (count - 1));
}

const label = (v: number): string => String(Number(v.toPrecision(3)));

/** Series colours: theme variables, so light and dark themes both work. */
const SERIES = ['--jp-brand-color1', '--jp-warn-color1', '--jp-success-color1', '--jp-error-color1', '--jp-accent-color1', '--jp-ui-font-color2'];

/**
 * A numeric result column (y) against a parameter column (x), as SVG drawn with the JupyterLab
 * theme's colours (CSS variables), so it follows light and dark themes. In a grid, the rows that
 * share the values of the other parameter columns form one series (one colour, a legend entry);
 * numeric x values are placed by value and each series is joined by a line in x order; other x
 * values are spread evenly, in sorted order. Rows without a y value (failed or missing) are left out.
 */
export function ResultsChart(props: { table: IResultsTable; x: number; y: number }): JSX.Element {
  const { table, x, y } = props;
  const others = table.columns.map((_, c) => c).filter(c => table.kinds[c] === 'param' && c !== x);
  const points = table.rows
    .map(row => ({ x: row[x] as unknown, y: row[y] as unknown, series: others.map(c => `${table.columns[c]}=${JSON.stringify(row[c])}`).join(', ') }))
    .filter((p): p is { x: unknown; y: number; series: string } => typeof p.y === 'number' && p.x !== null && p.x !== undefined);
  if (points.length === 0) {
    return <div className="jp-nbgrid-Empty">No {table.columns[y]} values to draw yet.</div>;
  }
  const numericX = points.every(p => typeof p.x === 'number');
  const categories = numericX ? [] : [...new Set(points.map(p => JSON.stringify(p.x)))].sort((a, b) => compareCells(JSON.parse(a), JSON.parse(b)));
  const xs = points.map(p => (numericX ? (p.x as number) : categories.indexOf(JSON.stringify(p.x))));
  const ys = points.map(p => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const px = (v: number) => PAD.left + (x1 === x0 ? 0.5 : (v - x0) / (x1 - x0)) * (WIDTH - PAD.left - PAD.right);
  const py = (v: number) => HEIGHT - PAD.bottom - (y1 === y0 ? 0.5 : (v - y0) / (y1 - y0)) * (HEIGHT - PAD.top - PAD.bottom);
  const order = xs.map((_, i) => i).sort((i, j) => xs[i] - xs[j] || ys[i] - ys[j]);
  const series = [...new Set(points.map(p => p.series))];
  const colour = (i: number) => `var(${SERIES[series.indexOf(points[i].series) % SERIES.length]})`;
  const xTicks = numericX ? ticks(x0, x1) : categories.map((_, i) => i);
  return (
    <svg
      className="jp-nbgrid-ResultsChart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`${table.columns[y]} against ${table.columns[x]}`}
    >
      <line className="jp-nbgrid-ResultsChart-axis" x1={PAD.left} y1={HEIGHT - PAD.bottom} x2={WIDTH - PAD.right} y2={HEIGHT - PAD.bottom} />
      <line className="jp-nbgrid-ResultsChart-axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={HEIGHT - PAD.bottom} />
      {ticks(y0, y1).map(t => (
        <text key={`y${t}`} className="jp-nbgrid-ResultsChart-tick" x={PAD.left - 4} y={py(t)} textAnchor="end" dominantBaseline="middle">
          {label(t)}
        </text>
      ))}
      {xTicks.map(t => (
        <text key={`x${t}`} className="jp-nbgrid-ResultsChart-tick" x={px(t)} y={HEIGHT - PAD.bottom + 14} textAnchor="middle">
          {numericX ? label(t) : String(JSON.parse(categories[t]))}
        </text>
      ))}
      <text className="jp-nbgrid-ResultsChart-title" x={(PAD.left + WIDTH - PAD.right) / 2} y={HEIGHT - 4} textAnchor="middle">
        {table.columns[x]}
      </text>
      <text className="jp-nbgrid-ResultsChart-title" x={12} y={PAD.top + (HEIGHT - PAD.top - PAD.bottom) / 2} textAnchor="middle" transform={`rotate(-90 12 ${PAD.top + (HEIGHT - PAD.top - PAD.bottom) / 2})`}>
        {table.columns[y]}
      </text>
      {numericX
        ? series.map((name, k) => (
            <polyline
              key={name}
              className="jp-nbgrid-ResultsChart-line"
              style={{ stroke: `var(${SERIES[k % SERIES.length]})` }}
              points={order
                .filter(i => points[i].series === name)
                .map(i => `${px(xs[i])},${py(ys[i])}`)
                .join(' ')}
            />
          ))
        : null}
      {series.length > 1
        ? series.map((name, k) => (
            <text key={name} className="jp-nbgrid-ResultsChart-legend" x={WIDTH - PAD.right} y={PAD.top + 10 + 12 * k} textAnchor="end" style={{ fill: `var(${SERIES[k % SERIES.length]})` }}>
              {name}
            </text>
          ))
        : null}
      {order.map(i => (
        <circle key={i} className="jp-nbgrid-ResultsChart-point" style={{ fill: colour(i) }} cx={px(xs[i])} cy={py(ys[i])} r={3.5}>
          <title>{`${table.columns[x]} ${JSON.stringify(points[i].x)}: ${table.columns[y]} ${ys[i]}`}</title>
        </circle>
      ))}
    </svg>
  );
}
