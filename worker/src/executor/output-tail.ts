/**
 * The last lines a running notebook printed, as a terminal would show them: `\r` rewrites the
 * current line (a tqdm bar is one line, not thousands), and only the last `maxLines` lines are
 * kept, so a cell printing 100,000 lines costs a split of each message and nothing more.
 */

/**
 * Lines kept.
 * @defaultValue 20
 */
export const DEFAULT_TAIL_LINES = 20;

/**
 * Characters kept of one line (the rest is cut with `…`).
 * @defaultValue 400
 */
export const MAX_TAIL_LINE = 400;

export class OutputTail {
  private readonly lines: string[] = [];
  /** Whether the last line is still open (no newline printed after it yet). */
  private open = false;

  constructor(private readonly maxLines: number = DEFAULT_TAIL_LINES) {}

  /** Appends printed text (stdout or stderr). */
  write(text: string): void {
    if (!text) return;
    // parts[0 .. n-2] end with a newline; parts[n-1] stays open (maybe empty).
    const parts = text.split('\n');
    let start = 0;
    if (parts.length - 1 > this.maxLines) {
      // Only the last maxLines lines can still be visible: skip the rest of a flood unread.
      start = parts.length - 1 - this.maxLines;
      this.open = false;
    }
    for (let i = start; i < parts.length; i++) {
      const part = parts[i];
      const closing = i < parts.length - 1;
      const wasOpen = this.open;
      if (wasOpen) this.setLast(overwrite(this.lines[this.lines.length - 1], part));
      else if (closing || part !== '') this.push(overwrite('', part));
      this.open = !closing && (wasOpen || part !== '');
    }
  }

  /** The kept lines, oldest first (a copy). */
  snapshot(): string[] {
    return this.lines.slice();
  }

  private push(line: string): void {
    this.lines.push(cut(line));
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
  }

  private setLast(line: string): void {
    if (this.lines.length === 0) this.lines.push(cut(line));
    else this.lines[this.lines.length - 1] = cut(line);
  }
}

/** `line` after printing `text` on it: what follows the last `\r` replaces the line. */
function overwrite(line: string, text: string): string {
  const cr = text.lastIndexOf('\r');
  if (cr < 0) return line + text;
  const after = text.slice(cr + 1);
  // tqdm ends a refresh with `\r` before the next one: keep what was drawn until then.
  if (after === '') {
    const before = text.slice(0, cr);
    const prev = before.lastIndexOf('\r');
    return prev < 0 ? (before === '' ? line : before) : before.slice(prev + 1) || line;
  }
  return after;
}

function cut(line: string): string {
  return line.length > MAX_TAIL_LINE ? `${line.slice(0, MAX_TAIL_LINE - 1)}…` : line;
}
