import { terminalLine } from './terminal-text';

/** Renders rows as an aligned text table with the given columns; cells are made safe for a terminal. */
export function formatTable(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v);
    const line = terminalLine(s.split('\n')[0]);
    return line.length > 60 ? line.slice(0, 57) + '...' : line;
  };
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const heads = columns.map(terminalLine);
  const widths = heads.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const fmt = (row: string[]): string => row.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [fmt(heads), fmt(widths.map((w) => '-'.repeat(w))), ...cells.map(fmt)].join('\n');
}
