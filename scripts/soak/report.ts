/** The soak's printed summary: one table of figures, then the diagnosis per class. */
import type { IAccount } from './accounting';
import type { IDiagnosis } from './diagnosis';
import { FAULT_KINDS } from './fault-kinds';
import type { IInjectedFault } from './fault-injector';

export interface ISoakSummary {
  seed: number;
  main: IAccount;
  cancelled: IAccount;
  faults: IInjectedFault[];
  clientRestarts: number;
  drainSeconds: number | null;
  failedCalls: number;
}

export function table(rows: [string, string][]): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

export function summaryTable(s: ISoakSummary): string {
  const byKind = FAULT_KINDS.map((k) => `${k} ${s.faults.filter((f) => f.kind === k).length}`).join(', ');
  const both = (f: (a: IAccount) => number): string => `${f(s.main) + f(s.cancelled)} (main ${f(s.main)}, cancelled map ${f(s.cancelled)})`;
  return table([
    ['seed', String(s.seed)],
    ['tasks', `${s.main.tasks + s.cancelled.tasks} (main map ${s.main.tasks}, cancelled map ${s.cancelled.tasks})`],
    ['faults injected', `${s.faults.length}: ${byKind}`],
    ['client restarts', String(s.clientRestarts)],
    ['lost', both((a) => a.lost)],
    ['duplicates', both((a) => a.duplicates)],
    ['stuck', both((a) => a.stuck)],
    ['wrong outcome', both((a) => a.wrongOutcome)],
    ['results mismatch', String(s.main.resultMismatch)],
    ['runs failed by faults', `${[...s.main.faultErrors.values(), ...s.cancelled.faultErrors.values()].reduce((a, b) => a + b, 0)} (ERROR runs of tasks that should succeed)`],
    ['runs not counted', `${s.main.uncountedRuns + s.cancelled.uncountedRuns} (redeliveries, restarts, lost attempts: in the history, never an OK)`],
    ['time to drain', s.drainSeconds === null ? 'not drained (bounded wait over)' : `${s.drainSeconds.toFixed(1)} s`],
    ['API calls retried', String(s.failedCalls)]
  ]);
}

/** ERROR runs of tasks that should succeed, by message: what the faults did before a restart repaired it. */
export function faultErrorsText(s: ISoakSummary): string {
  const merged = new Map<string, number>();
  for (const a of [s.main, s.cancelled]) for (const [k, n] of a.faultErrors) merged.set(k, (merged.get(k) ?? 0) + n);
  if (merged.size === 0) return '';
  const rows = [...merged.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `    ${String(n).padStart(4)}  ${k}`);
  return `\nRuns of tasks that should succeed, failed by a fault (each repaired by a client restart, or counted as lost):\n${rows.join('\n')}\n`;
}

/** Each class once: how many tasks, their names (a few), and the evidence of the first two. */
export function diagnosisText(groups: [string, IDiagnosis[]][]): string {
  const out: string[] = [];
  for (const [cls, ds] of groups) {
    out.push(`\n[${ds.length}] ${cls}`);
    out.push(`    tasks: ${ds.slice(0, 8).map((d) => `${d.verdict.map}#${d.verdict.jobId}`).join(' ')}${ds.length > 8 ? ' ...' : ''}`);
    for (const d of ds.slice(0, 2)) for (const e of d.evidence) out.push(`    ${e}`);
  }
  return out.join('\n');
}
