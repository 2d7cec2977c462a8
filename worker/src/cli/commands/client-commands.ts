import * as fs from 'fs';
import { Command } from 'commander';
import type { IWorkerInfo } from '../../domain/ports';
import type { IStatusRow } from '../../domain/types';
import { ApiClient, CliError } from '../api-client';
import { parseParams, parseRange } from '../params';
import { parseGridOptions } from '../grid-option';
import { collectGrid, printResultsTable } from './grid-commands';
import { ProgressBar, progressOf } from '../progress-bar';
import { formatTable } from '../table';
import { watchStatus } from './progress-commands';
import { terminalJson, terminalSafe } from '../terminal-text';

/** Prints text to stdout; names, messages and values in it come from users and notebooks. */
const out = (text: string): void => void process.stdout.write(terminalSafe(text));
/** Prints text to stderr, like `out`. */
const err = (text: string): void => void process.stderr.write(terminalSafe(text));

/** The status fields `nbgrid status` shows (typed by the contract, so a renamed field fails to compile). */
const STATUS_COLUMNS: (keyof IStatusRow)[] = ['name', 'task_id', 'status', 'run_status', 'duration', 'worker', 'message'];
const WORKER_COLUMNS: (keyof IWorkerInfo)[] = ['hostname', 'labels', 'concurrency', 'active', 'processed', 'last_seen', 'paused'];

/** Polls the group's status until every task has finished, drawing a progress bar. */
export async function waitForGroup(
  api: ApiClient,
  job: string,
  taskGroup: string,
  { timeoutS = 0, intervalMs = 500, quiet = false } = {}
): Promise<IStatusRow[]> {
  const bar = quiet ? null : new ProgressBar();
  const deadline = timeoutS ? Date.now() + timeoutS * 1000 : Infinity;
  for (;;) {
    const { rows } = await api.status(job, taskGroup);
    bar?.update(rows);
    const { total, done } = progressOf(rows);
    if (done === total) {
      bar?.finish();
      return rows;
    }
    if (Date.now() > deadline) {
      bar?.finish();
      throw new CliError(`timed out after ${timeoutS} s with ${total - done} of ${total} tasks unfinished`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function printStatus(rows: IStatusRow[]): void {
  // the reduce row and cached tasks say so in a column of their own (only when a row has one)
  const noted = rows.map((r) => ({ ...r, note: rowNote(r) }));
  // which GPUs ran a task: only on a grid with GPU workers
  const base: string[] = rows.some((r) => r.gpus) ? [...STATUS_COLUMNS, 'gpus'] : STATUS_COLUMNS;
  const columns = noted.some((r) => r.note) ? [...base, 'note'] : base;
  out(formatTable(noted as unknown as Record<string, unknown>[], columns as string[]) + '\n');
}

/** Collects a repeated option's values (`--task a --task b`). */
const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Exit code of a finished group: 0 when every task ran OK. */
export const allOk = (rows: IStatusRow[]): boolean => rows.every((r) => r.status === 'SUCCESS' && r.run_status === 'OK');

export function registerClientCommands(program: Command): void {
  program
    .command('put <file> [name]')
    .description('store a local .ipynb as the main notebook <name> (default: the file name without .ipynb)')
    .action(async (file: string, name?: string) => {
      const content = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
      const nb = name ?? file.replace(/^.*\//, '').replace(/\.ipynb$/, '');
      const info = await ApiClient.fromEnv().putNotebook(nb, content);
      out(`stored ${info.name} (${info.size} bytes, sha256 ${info.sha256.slice(0, 12)})\n`);
    });

  program
    .command('map <name>')
    .description('run notebook <name> once per parameter')
    .option('--range <spec>', 'N, START:STOP[:STEP] or range(START, STOP, STEP)')
    .option('--params <json>', 'a JSON array, one element per task')
    .option('--params-file <file>', 'a file holding a JSON array')
    .option('--require <label>', 'only workers with this label run the tasks')
    .option('--cell-timeout <seconds>', 'interrupt a cell that runs longer', Number)
    .option('--wait', 'show progress until every task finished, then the status and results')
    .option('--then <notebook>', 'run this stored notebook once every task is final (reduce), with all results')
    .option('--then-when <when>', "with --then: all_ok (default: only if every task ended OK) or always")
    .option('--cache', 'do not run tasks whose code cells, parameter and kernelspec already ran OK in this job')
    .option('--force', 'with --cache: run every task anyway')
    .option('--timeout <seconds>', 'with --wait: give up after this long', Number)
    .option('--notify-webhook <url>', 'POST a JSON summary to this http(s) URL when every task has finished')
    .option('--grid <name=values>', 'a grid parameter, repeatable: --grid alpha=0.1,0.5 --grid n=10,100 (values JSON, else strings)', collectGrid)
    .option('--mode <mode>', "with --grid: 'product' (every combination, default) or 'zip' (pairwise)")
    .action(async (name: string, opts: Record<string, string | number | boolean | string[] | undefined>) => {
      const body: Record<string, unknown> = {};
      const given = ['range', 'params', 'paramsFile', 'grid'].filter((k) => opts[k] !== undefined);
      if (given.length !== 1) throw new CliError('give exactly one of --range, --params, --params-file or --grid');
      if (opts.mode !== undefined && opts.grid === undefined) throw new CliError('--mode goes with --grid');
      if (opts.grid !== undefined) body.grid = parseGridOptions(opts.grid as string[]);
      if (opts.mode !== undefined) body.mode = opts.mode;
      if (opts.range !== undefined) body.range = parseRange(String(opts.range));
      if (opts.params !== undefined) body.params = parseParams(String(opts.params));
      if (opts.paramsFile !== undefined) body.params = parseParams(fs.readFileSync(String(opts.paramsFile), 'utf8'));
      if (opts.require) body.require = opts.require;
      if (opts.cellTimeout !== undefined) body.cell_timeout = opts.cellTimeout;
      if (opts.notifyWebhook !== undefined) body.notify = { webhook: String(opts.notifyWebhook) };
      if (opts.thenWhen !== undefined && opts.then === undefined) throw new CliError('--then-when needs --then <notebook>');
      if (opts.then !== undefined) body.then = { notebook: String(opts.then), ...(opts.thenWhen !== undefined ? { when: String(opts.thenWhen) } : {}) };
      if (opts.cache) body.cache = true;
      if (opts.force) body.force = true;
      const api = ApiClient.fromEnv();
      const res = await api.map(name, body);
      for (const w of res.warnings) err(`warning: ${w}\n`);
      const shown = res.tasks.length > 10 ? [...res.tasks.slice(0, 5), null, ...res.tasks.slice(-3)] : res.tasks;
      for (const t of shown) {
        out(t ? `started ${t.name}.ipynb => ${t.task_id}\n` : `... ${res.tasks.length - 8} more\n`);
      }
      out(`task group ${res.task_group}: ${res.count} tasks on queue '${res.require}'\n`);
      if (res.cached !== undefined) out(`${res.cached} of ${res.count} tasks cached (not run)\n`);
      if (opts.wait) {
        const rows = await waitForGroup(api, name, res.task_group, { timeoutS: Number(opts.timeout ?? 0) });
        printStatus(rows);
        const results = await api.results(name, res.task_group);
        out(`results: ${terminalJson(results.results)}\n`);
        if (results.reduced !== undefined) out(`reduced: ${terminalJson(results.reduced)}\n`);
        if (!allOk(rows)) process.exitCode = 1;
      }
    });

  program
    .command('status <name>')
    .description("status of the latest task group of <name> (--group '*' for all)")
    .option('--group <task_group>', "a task group, or '*'")
    .option('--json', 'print JSON rows')
    .option('--watch', 'redraw the table in place (with each running task\'s cells done) until every task has finished')
    .action(async (name: string, opts: { group?: string; json?: boolean; watch?: boolean }) => {
      if (opts.watch) {
        await watchStatus(ApiClient.fromEnv(), name, { group: opts.group });
        return;
      }
      const { rows } = await ApiClient.fromEnv().status(name, opts.group);
      if (opts.json) out(terminalJson(rows, 2) + '\n');
      else printStatus(rows);
    });

  program
    .command('wait <name>')
    .description('wait for a task group (default: latest) to finish, with a progress bar')
    .option('--group <task_group>', 'a task group')
    .option('--timeout <seconds>', 'give up after this long', Number)
    .action(async (name: string, opts: { group?: string; timeout?: number }) => {
      const api = ApiClient.fromEnv();
      const group = opts.group ?? (await api.groups(name)).groups[0]?.task_group;
      if (!group) throw new CliError(`job ${name} has no task groups yet: run \`nbgrid map ${name} ...\` first`);
      const rows = await waitForGroup(api, name, group, { timeoutS: opts.timeout ?? 0 });
      printStatus(rows);
      if (!allOk(rows)) process.exitCode = 1;
    });

  program
    .command('restart <name>')
    .description('re-run tasks without an OK result (--reset: all)')
    .option('--group <task_group>', 'a task group (default: latest)')
    .option('--reset', 're-run every task')
    .option('--refresh', 're-render the task notebooks from the current main notebook')
    .option('--task <name>', 'only this task (a name or job_id), whatever its state; repeat for more', collect, [])
    .action(async (name: string, opts: { group?: string; reset?: boolean; refresh?: boolean; task: string[] }) => {
      const tasks = opts.task.length > 0 ? { tasks: opts.task } : {};
      const res = await ApiClient.fromEnv().restart(name, { task_group: opts.group, reset: !!opts.reset, refresh: !!opts.refresh, ...tasks });
      for (const t of res.restarted) out(`restarted ${t.name}.ipynb => ${t.task_id}\n`);
      out(`${res.restarted.length} tasks restarted in group ${res.task_group}\n`);
      if (res.with_results?.length) out(`${res.with_results.length} tasks already have results (--reset re-runs them too)\n`);
    });

  program
    .command('cancel <name>')
    .description('revoke queued tasks and interrupt running ones')
    .option('--group <task_group>', 'a task group (default: latest)')
    .option('--task <name>', 'only this task (a name or job_id); repeat for more', collect, [])
    .action(async (name: string, opts: { group?: string; task: string[] }) => {
      const res = await ApiClient.fromEnv().cancel(name, { task_group: opts.group, ...(opts.task.length > 0 ? { tasks: opts.task } : {}) });
      out(`${res.revoked} tasks revoked in group ${res.task_group}\n`);
    });

  program
    .command('results <name>')
    .description('returned values in parameter order, as JSON (--csv, --table: as a table)')
    .option('--group <task_group>', 'a task group (default: latest)')
    .option('--csv', 'the results table as CSV: parameter, result, glued and status columns')
    .option('--table', 'the results table, aligned')
    .action(async (name: string, opts: { group?: string; csv?: boolean; table?: boolean }) => {
      if (opts.csv || opts.table) return printResultsTable(ApiClient.fromEnv(), name, opts.group, opts.csv ? 'csv' : 'table');
      const res = await ApiClient.fromEnv().results(name, opts.group);
      out(terminalJson(res.results) + '\n');
      if (res.missing.length) err(`no OK result yet for job_id ${res.missing.join(', ')}\n`);
    });

  program
    .command('workers')
    .description('live workers with their labels')
    .action(async () => {
      const { workers } = await ApiClient.fromEnv().workers();
      const rows = workers.map((w) => ({ ...w, labels: w.labels.join(',') }));
      out(formatTable(rows, WORKER_COLUMNS) + '\n');
    });
}

/** What the status table's note column says of a row: the reduce row, or a cached task. */
export function rowNote(r: IStatusRow): string {
  if (r.reduce_round !== undefined) return `reduce (round ${r.reduce_round})`;
  if (r.cached_from) return `cached from ${r.cached_from}`;
  return '';
}
