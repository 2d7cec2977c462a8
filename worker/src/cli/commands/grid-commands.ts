/** `nbgrid parameters <name>` and the table forms of `nbgrid results` (`--csv`, `--table`). */
import type { Command } from 'commander';
import type { IJobParameters, IResultsTableAnswer } from '../../domain/ports';
import { ApiClient } from '../api-client';
import { formatTable } from '../table';
import { terminalSafe } from '../terminal-text';

const out = (text: string): void => void process.stdout.write(terminalSafe(text));

/** commander's collector of a repeated `--grid`. */
export function collectGrid(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const route = (name: string, tail: string): string => `/api/jobs/${encodeURIComponent(name)}/${tail}`;

/** Print the results table of a group as CSV (as the API sends it) or aligned. */
export async function printResultsTable(api: ApiClient, name: string, group: string | undefined, format: 'csv' | 'table'): Promise<void> {
  const q = `results?format=${format}${group ? `&task_group=${encodeURIComponent(group)}` : ''}`;
  const text = await api.requestText('GET', route(name, q));
  if (format === 'csv') {
    // Written as sent: a CSV file for a spreadsheet or pandas.read_csv (not a terminal table).
    process.stdout.write(text);
    return;
  }
  const table = JSON.parse(text) as IResultsTableAnswer;
  const cell = (v: unknown): unknown => (v !== null && typeof v === 'object' ? JSON.stringify(v) : v);
  const rows = table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c, cell(r[i])])));
  out(formatTable(rows, table.columns) + '\n');
}

export function registerGridCommands(program: Command): void {
  program
    .command('parameters <name>')
    .description("the parameters of notebook <name>: its cell tagged 'parameters', read as papermill does")
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const res = await ApiClient.fromEnv().request<IJobParameters>('GET', route(name, 'parameters'));
      if (opts.json) return out(JSON.stringify(res, null, 2) + '\n');
      if (!res.has_parameters_cell) return out(`${name} has no cell tagged 'parameters'\n`);
      const rows = res.parameters.map((p) => ({
        ...p,
        type: p.inferred_type_name === 'None' ? '' : p.inferred_type_name,
        note: p.identifier ? '' : "not a Python name: only job['param']"
      }));
      out(formatTable(rows, ['name', 'type', 'default', 'help', 'note']) + '\n');
    });
}
