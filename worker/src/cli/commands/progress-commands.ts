/**
 * Live progress on the command line: `nbgrid logs <name> <task> [--follow]` prints a task's output
 * (its live tail while it runs, its result notebook's output after), `nbgrid status --watch`
 * redraws the status table in place.
 */
import { Command } from 'commander';
import { isFinalState } from '../../domain/queue-states';
import type { IStatusRow } from '../../domain/types';
import type { IProgressEvent } from '../../schemas/progress';
import { ApiClient, CliError } from '../api-client';
import { cellsText, linesAfter, newTailLines, outputLines } from '../progress-lines';
import { formatTable } from '../table';
import { terminalSafe } from '../terminal-text';

const out = (text: string): void => void process.stdout.write(terminalSafe(text));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const jobPath = (name: string): string => `/api/jobs/${encodeURIComponent(name)}`;

const WATCH_COLUMNS = ['name', 'status', 'run_status', 'progress', 'duration', 'worker', 'message'];

/** The status row `task` names: `<group>-<i>`, a task name, or `<i>` of the latest group. */
export function findTask(rows: IStatusRow[], task: string): IStatusRow | undefined {
  const name = task.replace(/\.ipynb$/, '');
  if (/^\d+$/.test(name)) return rows.find((r) => r.job_id === Number(name));
  return rows.find((r) => r.name === name || r.name.endsWith(`/${name}`));
}

/** A status row's progress as table text: `3/5 ▸ [4] print(x)`. */
export function progressCell(row: IStatusRow): string {
  const p = row.progress;
  if (!p) return '';
  return `${p.done}/${p.total}${p.cell ? ` ▸ [${p.cell.index}] ${p.cell.source.trim()}` : ''}`;
}

async function statusRows(api: ApiClient, name: string, group: string | undefined): Promise<IStatusRow[]> {
  const q = group ? `?task_group=${encodeURIComponent(group)}` : '';
  return (await api.request<{ rows: IStatusRow[] }>('GET', `${jobPath(name)}/status${q}`)).rows;
}

/** Text of the stream outputs of a result notebook. */
function notebookOutput(content: { cells?: { outputs?: { output_type?: string; text?: string | string[] }[] }[] }): string {
  const parts: string[] = [];
  for (const cell of content.cells ?? []) {
    for (const o of cell.outputs ?? []) if (o.output_type === 'stream') parts.push(([] as string[]).concat(o.text ?? []).join(''));
  }
  return parts.join('');
}

/** Prints a task's output; with `follow`, until the task is final. Resolves with the final row. */
export async function followLogs(api: ApiClient, name: string, task: string, opts: { follow: boolean; group?: string; intervalMs?: number }): Promise<IStatusRow> {
  let shown: string[] = [];
  let seq = -1;
  let waitingSaid = false;
  for (;;) {
    const rows = await statusRows(api, name, opts.group);
    const row = findTask(rows, task);
    if (!row) throw new CliError(`job ${name} has no task ${JSON.stringify(task)} in ${opts.group ? `group ${opts.group}` : 'its latest group'}; see \`nbgrid status ${name}\``);
    if (isFinalState(row.status)) {
      if (row.results) {
        // The result notebook has the whole output: all of it if the run was never seen here,
        // else what came after the last update shown.
        const nb = await api.request<{ content: Parameters<typeof notebookOutput>[0] }>('GET', `/api/notebooks/${row.results.split('/').map(encodeURIComponent).join('/')}`);
        const text = notebookOutput(nb.content);
        if (seq < 0) out(text);
        else for (const line of linesAfter(shown, outputLines(text))) out(`${line}\n`);
      }
      out(`--- ${row.name}: ${row.status}/${row.run_status}${row.message ? `: ${row.message.split('\n')[0]}` : ''}\n`);
      return row;
    }
    const live = (await api.request<{ progress: IProgressEvent[] }>('GET', `${jobPath(name)}/progress`)).progress.find(
      (p) => p.name === row.name && p.task_id === row.task_id
    );
    if (live && live.seq !== seq) {
      for (const line of newTailLines(shown, live.tail)) out(`${line}\n`);
      shown = live.tail;
      seq = live.seq;
    } else if (!live && !waitingSaid && seq < 0) {
      out(`--- ${row.name} is ${row.status}; waiting for its output\n`);
      waitingSaid = true;
    }
    if (!opts.follow) return row;
    await sleep(opts.intervalMs ?? 500);
  }
}

/** Redraws the status table until every task is final (or forever with `untilDone` false). */
export async function watchStatus(api: ApiClient, name: string, opts: { group?: string; intervalMs?: number; untilDone?: boolean }): Promise<IStatusRow[]> {
  const tty = process.stdout.isTTY === true;
  let last = '';
  for (;;) {
    const rows = await statusRows(api, name, opts.group);
    const done = rows.filter((r) => isFinalState(r.status)).length;
    const cells = cellsText(rows);
    const table = formatTable(
      rows.map((r) => ({ ...r, progress: progressCell(r) })) as unknown as Record<string, unknown>[],
      WATCH_COLUMNS
    );
    const text = `${name}: ${done}/${rows.length} done${cells ? ` · ${cells}` : ''}\n${table}\n`;
    if (text !== last) {
      // On a terminal the table is redrawn in place (cursor home, clear screen); elsewhere printed when it changes.
      out(tty ? `\u001b[H\u001b[2J${text}` : text);
      last = text;
    }
    if (opts.untilDone !== false && rows.length > 0 && done === rows.length) return rows;
    await sleep(opts.intervalMs ?? 1000);
  }
}

export function registerProgressCommands(program: Command): void {
  program
    .command('logs <name> <task>')
    .description("output of task <task> of job <name> (<group>-<i>, a task name, or <i> of the latest group): the live tail while it runs, else its result notebook's output")
    .option('--follow', 'keep printing new output until the task has finished')
    .option('--group <task_group>', 'a task group (default: latest)')
    .action(async (name: string, task: string, opts: { follow?: boolean; group?: string }) => {
      const row = await followLogs(ApiClient.fromEnv(), name, task, { follow: opts.follow === true, group: opts.group });
      if (isFinalState(row.status) && row.run_status !== 'OK') process.exitCode = 1;
    });
}
