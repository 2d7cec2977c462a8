/**
 * `nbgrid schedule create|list|pause|resume|delete|run` and `nbgrid gc` / `nbgrid delete-group`:
 * schedules and clean-up from the command line, through the REST API.
 */
import * as fs from 'fs';
import { Command } from 'commander';
import type { ICleanupReport, ISchedule, IScheduleRun } from '../../schemas';
import { ApiClient, CliError } from '../api-client';
import { parseParams, parseRange } from '../params';
import { formatTable } from '../table';
import { terminalSafe } from '../terminal-text';

/** Prints text to stdout; names and messages in it come from users. */
const out = (text: string): void => void process.stdout.write(terminalSafe(text));

const SCHEDULE_COLUMNS = ['id', 'job', 'cron', 'tz', 'paused', 'next_run', 'last_run', 'last_group'];

function scheduleRow(s: ISchedule): Record<string, unknown> {
  return { ...s, last_run: s.last_run ? `${s.last_run.occurrence} ${s.last_run.state}` : '', last_group: s.last_run?.task_group ?? '' };
}

/** One line saying what a clean-up removed (or would). */
export function cleanupSummary(r: ICleanupReport): string {
  const verb = r.dry_run ? 'would remove' : 'removed';
  let line = `${verb} ${r.groups.length} groups, ${r.tasks} tasks, ${r.results} result notebooks, ${r.blobs} blobs, ${r.bytes + r.blob_bytes} bytes`;
  if (r.revoked) line += `, ${r.revoked} expired revoke entries`;
  for (const s of r.skipped) line += `\nkept group ${s.task_group} of ${s.job}: ${s.reason}`;
  return line + '\n';
}

function runLine(r: IScheduleRun): string {
  return `${r.occurrence} ${r.trigger} ${r.state} group ${r.task_group}${r.error ? `: ${r.error}` : ''}\n`;
}

const sched = (id: string, action = ''): string => `/api/schedules/${encodeURIComponent(id)}${action}`;

export function registerScheduleCommands(program: Command): void {
  const schedule = program.command('schedule').description('maps run at each occurrence of a cron expression');

  schedule
    .command('create <name> <cron>')
    .description("run notebook <name> at each occurrence of <cron> (5 fields, or @daily...), e.g. '0 2 * * *'")
    .option('--range <spec>', 'N, START:STOP[:STEP] or range(START, STOP, STEP)')
    .option('--params <json>', 'a JSON array, one element per task')
    .option('--params-file <file>', 'a file holding a JSON array')
    .option('--require <label>', 'only workers with this label run the tasks')
    .option('--cell-timeout <seconds>', 'interrupt a cell that runs longer', Number)
    .option('--tz <zone>', 'IANA time zone of the cron fields', 'UTC')
    .option('--catchup <mode>', "'latest': run an occurrence missed while no service ran once when back; 'none': skip it", 'latest')
    .option('--keep-last <n>', "keep this schedule's N newest groups", Number)
    .option('--paused', 'create it paused')
    .action(async (name: string, cron: string, opts: Record<string, string | number | boolean | undefined>) => {
      const map: Record<string, unknown> = {};
      const given = ['range', 'params', 'paramsFile'].filter((k) => opts[k] !== undefined);
      if (given.length !== 1) throw new CliError('give exactly one of --range, --params or --params-file');
      if (opts.range !== undefined) map.range = parseRange(String(opts.range));
      if (opts.params !== undefined) map.params = parseParams(String(opts.params));
      if (opts.paramsFile !== undefined) map.params = parseParams(fs.readFileSync(String(opts.paramsFile), 'utf8'));
      if (opts.require) map.require = opts.require;
      if (opts.cellTimeout !== undefined) map.cell_timeout = opts.cellTimeout;
      const body: Record<string, unknown> = { job: name, cron, tz: opts.tz, catchup: opts.catchup, map };
      if (opts.keepLast !== undefined) body.keep_last = opts.keepLast;
      if (opts.paused) body.paused = true;
      const s = await ApiClient.fromEnv().request<ISchedule>('POST', '/api/schedules', body);
      out(`schedule ${s.id}: ${s.job} at '${s.cron}' (${s.tz}), next run ${s.next_run ?? 'none (paused)'}\n`);
    });

  schedule
    .command('list')
    .description('schedules with their next and last runs')
    .option('--job <name>', 'only the schedules of this notebook')
    .option('--json', 'print JSON')
    .action(async (opts: { job?: string; json?: boolean }) => {
      const q = opts.job ? `?job=${encodeURIComponent(opts.job)}` : '';
      const { schedules } = await ApiClient.fromEnv().request<{ schedules: ISchedule[] }>('GET', `/api/schedules${q}`);
      if (opts.json) out(JSON.stringify(schedules, null, 2) + '\n');
      else out(formatTable(schedules.map(scheduleRow), SCHEDULE_COLUMNS));
    });

  schedule
    .command('show <id>')
    .description('a schedule and its latest occurrences with the groups they made')
    .action(async (id: string) => {
      const s = await ApiClient.fromEnv().request<ISchedule>('GET', sched(id));
      out(formatTable([scheduleRow(s)], SCHEDULE_COLUMNS));
      for (const r of s.runs ?? []) out(runLine(r));
    });

  for (const [verb, what] of [
    ['pause', 'run no occurrence until resumed'],
    ['resume', 'run occurrences again']
  ] as const) {
    schedule
      .command(`${verb} <id>`)
      .description(what)
      .action(async (id: string) => {
        const s = await ApiClient.fromEnv().request<ISchedule>('POST', sched(id, `/${verb}`));
        out(`schedule ${s.id} ${s.paused ? 'paused' : `resumed, next run ${s.next_run}`}\n`);
      });
  }

  schedule
    .command('delete <id>')
    .description('delete a schedule (the groups it made stay)')
    .action(async (id: string) => {
      await ApiClient.fromEnv().request('DELETE', sched(id));
      out(`schedule ${id} deleted\n`);
    });

  schedule
    .command('run <id>')
    .description("submit the schedule's map now")
    .action(async (id: string) => {
      const r = await ApiClient.fromEnv().request<IScheduleRun>('POST', sched(id, '/run'));
      out(runLine(r));
      if (r.state !== 'submitted') process.exitCode = 1;
    });

  program
    .command('gc')
    .description('delete task groups by age, job, state or schedule, then blobs nothing references')
    .option('--older-than <age>', 'groups created longer ago than this: 30d, 12h, 90m or 45s')
    .option('--job <name>', 'groups of this notebook')
    .option('--state <states>', 'groups whose every task is in one of these states, comma-separated (e.g. FAILURE,REVOKED)')
    .option('--schedule <id>', 'groups this schedule made')
    .option('--dry-run', 'say what would go; remove nothing')
    .action(async (opts: { olderThan?: string; job?: string; state?: string; schedule?: string; dryRun?: boolean }) => {
      const body: Record<string, unknown> = { dry_run: !!opts.dryRun };
      if (opts.olderThan) body.older_than = opts.olderThan;
      if (opts.job) body.job = opts.job;
      if (opts.state) body.states = opts.state.split(',').map((s) => s.trim().toUpperCase());
      if (opts.schedule) body.schedule = opts.schedule;
      if (Object.keys(body).length === 1) throw new CliError('say which groups: --older-than 30d, --job, --state or --schedule');
      out(cleanupSummary(await ApiClient.fromEnv().request<ICleanupReport>('POST', '/api/gc', body)));
    });

  program
    .command('delete-group <name> <task_group>')
    .description('delete one task group of notebook <name>: tasks, run history, result notebooks (cancel it first if it runs)')
    .option('--dry-run', 'say what would go; remove nothing')
    .action(async (name: string, taskGroup: string, opts: { dryRun?: boolean }) => {
      const r = await ApiClient.fromEnv().request<ICleanupReport>('POST', '/api/gc', { job: name, task_group: taskGroup, dry_run: !!opts.dryRun });
      out(cleanupSummary(r));
    });
}
