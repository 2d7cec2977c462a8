import { isFinalState } from '../domain/queue-states';
import type { IStatusRow } from '../domain/types';
import { cellsText } from './progress-lines';

/** Counts of finished / failed tasks in a status table. */
export function progressOf(rows: IStatusRow[]): { total: number; done: number; failed: number } {
  const done = rows.filter((r) => isFinalState(r.status)).length;
  const failed = rows.filter((r) => r.status === 'FAILURE' || r.run_status === 'ERROR').length;
  return { total: rows.length, done, failed };
}

/**
 * One progress line: redrawn in place on a terminal, printed when it changes otherwise
 * (so CI logs show progress without thousands of lines).
 */
export class ProgressBar {
  private last = '';
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly width = 30) {}

  update(rows: IStatusRow[]): void {
    const { total, done, failed } = progressOf(rows);
    const filled = total ? Math.round((done / total) * this.width) : 0;
    const bar = '#'.repeat(filled) + '.'.repeat(this.width - filled);
    const cells = cellsText(rows);
    const line = `[${bar}] ${done}/${total} done${failed ? `, ${failed} failed` : ''}${cells ? ` · ${cells}` : ''}`;
    if (line === this.last) return;
    this.last = line;
    if (this.stream.isTTY) this.stream.write(`\r${line}`);
    else this.stream.write(`${line}\n`);
  }

  finish(): void {
    if (this.stream.isTTY && this.last) this.stream.write('\n');
  }
}
