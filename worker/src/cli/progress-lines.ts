/** Text of live progress for the terminal: new lines of an output tail, and cells done over a group. */
import type { IStatusRow } from '../domain/types';

/**
 * The lines of `next` not shown yet, given that `prev` was: a tail is a window of the last lines,
 * so the longest end of `prev` that starts `next` was printed already. A last line rewritten in
 * place (a `\r` progress bar) comes again.
 */
export function newTailLines(prev: string[], next: string[]): string[] {
  for (let k = Math.min(prev.length, next.length); k > 0; k--) {
    let same = true;
    for (let i = 0; i < k; i++) {
      if (prev[prev.length - k + i] !== next[i]) {
        same = false;
        break;
      }
    }
    if (same) return next.slice(k);
  }
  return next.slice();
}

/** `cells 7/15 in 3 running` over the running rows that report progress; '' when none does. */
export function cellsText(rows: IStatusRow[]): string {
  let done = 0;
  let total = 0;
  let running = 0;
  for (const row of rows) {
    if (!row.progress) continue;
    done += row.progress.done;
    total += row.progress.total;
    running += 1;
  }
  return running ? `cells ${done}/${total} in ${running} running` : '';
}

/**
 * The lines of a whole output after the part a client showed (`shown`, the last tail it printed):
 * what the run printed after its last progress update, read from its result notebook.
 */
export function linesAfter(shown: string[], all: string[]): string[] {
  for (let k = shown.length; k > 0; k--) {
    const end = shown.slice(shown.length - k);
    for (let i = all.length - 1; i >= k - 1; i--) {
      let same = true;
      for (let j = 0; j < k; j++) {
        if (all[i - k + 1 + j] !== end[j]) {
          same = false;
          break;
        }
      }
      if (same) return all.slice(i + 1);
    }
  }
  return all.slice();
}

/** Output text as the lines a terminal shows (`\r` rewrites a line), without the empty last one. */
export function outputLines(text: string): string[] {
  const lines = text.split('\n').map((line) => line.slice(line.lastIndexOf('\r', line.length - 2) + 1).replace(/\r$/, ''));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
