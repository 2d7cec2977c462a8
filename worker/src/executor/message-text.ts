/**
 * The text of `IExecutionResult.message` and of `job_runs[].message`: readable without a terminal,
 * and bounded so a traceback of a deep recursion cannot bloat the task document.
 */
import type { IExecutionError } from './execution-error';

/**
 * Longest message kept, in UTF-16 code units (about 64 KB of mostly ASCII text).
 * @defaultValue 65536
 */
export const MAX_MESSAGE_LENGTH = 64 * 1024;

// CSI sequences (colours, cursor moves) and OSC sequences (e.g. hyperlinks) as IPython emits them.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** Removes ANSI escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/**
 * Cuts `text` to at most `max` characters, keeping its head and its tail (the tail of a traceback
 * names the exception) around a marker that says how much was left out.
 */
export function boundText(text: string, max: number = MAX_MESSAGE_LENGTH): string {
  if (text.length <= max) {
    return text;
  }
  const marker = (omitted: number) => `\n... [${omitted} characters omitted] ...\n`;
  const room = max - marker(text.length).length;
  const head = Math.ceil(room / 2);
  const tail = room - head;
  return text.slice(0, head) + marker(text.length - room) + text.slice(text.length - tail);
}

/** `ename: evalue`, then the traceback lines without ANSI codes, bounded. */
export function formatErrorMessage(error: Pick<IExecutionError, 'ename' | 'evalue' | 'traceback'>): string {
  const head = `${error.ename}: ${error.evalue}`;
  const traceback = stripAnsi(error.traceback.join('\n'));
  return boundText(traceback ? `${head}\n${traceback}` : head);
}
