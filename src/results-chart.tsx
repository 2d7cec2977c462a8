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

/**
 * A numeric result column (y) against a parameter column (x), as SVG drawn with the JupyterLab
 * theme's colours (CSS variables), so it follows light and dark themes. Numeric x values are
 * placed by value and joined by a line in x order; other x values are spread evenly, in sorted
 * order, as points. Rows without a y value (failed or missing) are left out.
 */
export function ResultsChart(props: { table: IResultsTable; x: number; y: number }): JSX.Element {
  const { table, x, y } = props;
  const points = table.rows
    .map(row => ({ x: row[x] as unknown, y: row[y] as unknown }))
    .filter((p): p is { x: unknown; y: number } => typeof p.y === 'number' && p.x !== null && p.x !== undefined);
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
      {numericX ? (
        <polyline className="jp-nbgrid-ResultsChart-line" points={order.map(i => `${px(xs[i])},${py(ys[i])}`).join(' ')} />
      ) : null}
      {order.map(i => (
        <circle key={i} className="jp-nbgrid-ResultsChart-point" cx={px(xs[i])} cy={py(ys[i])} r={3.5}>
          <title>{`${table.columns[x]} ${JSON.stringify(points[i].x)}: ${table.columns[y]} ${ys[i]}`}</title>
        </circle>
      ))}
    </svg>
  );
}
