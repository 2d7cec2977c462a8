/**
 * Progress of a notebook run as the executor sees it (cells done of cells to run, the running cell,
 * the output's last lines), handed to `IExecuteOptions.onProgress` at most once per interval: what
 * happens in between is coalesced, so a cell printing in a tight loop yields a few updates a second
 * carrying its latest lines, never a backlog.
 */
import type { IKernelMessage } from './kernel-message';
import { MAX_TAIL_LINE, OutputTail } from './output-tail';
import type { ICellProgress, IExecutionProgress, INotebook } from './types';

export type { ICellProgress, IExecutionProgress };

/**
 * Milliseconds between two progress updates of one run.
 * @defaultValue 250 (at most four a second)
 */
export const DEFAULT_PROGRESS_INTERVAL_MS = 250;

const DISPLAY_TYPES = new Set(['display_data', 'update_display_data', 'execute_result']);

export class ProgressTracker {
  private done = 0;
  private cell: ICellProgress | null = null;
  private readonly tail = new OutputTail();
  private display: string | null = null;
  private lastSent = 0;
  private timer: NodeJS.Timeout | null = null;
  private finished = false;

  constructor(
    private readonly notebook: INotebook,
    private readonly total: number,
    private readonly onProgress: (progress: IExecutionProgress) => void,
    private readonly intervalMs: number = DEFAULT_PROGRESS_INTERVAL_MS
  ) {}

  cellStarted(index: number, source: string): void {
    this.cell = { index, source: firstLine(source), started: new Date().toISOString() };
    this.changed();
  }

  cellFinished(): void {
    this.done += 1;
    this.cell = null;
    this.changed();
  }

  /** An IOPub message of the running cell. */
  output(msg: IKernelMessage): void {
    const type = msg.header.msg_type;
    if (type === 'stream') {
      this.tail.write(typeof msg.content.text === 'string' ? msg.content.text : '');
      this.changed();
    } else if (DISPLAY_TYPES.has(type)) {
      const text = plainText((msg.content.data as Record<string, unknown> | undefined)?.['text/plain']);
      if (text !== null) {
        this.display = text;
        this.changed();
      }
    } else if (type === 'error') {
      this.tail.write(`${String(msg.content.ename)}: ${String(msg.content.evalue)}\n`);
      this.changed();
    }
  }

  /** Sends the final update now; later calls do nothing. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.cell = null;
    this.send(true);
  }

  private changed(): void {
    if (this.finished || this.timer) return;
    const wait = this.lastSent + this.intervalMs - Date.now();
    if (wait <= 0) {
      this.send(false);
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.send(false);
    }, wait);
    this.timer.unref?.();
  }

  private send(final: boolean): void {
    this.lastSent = Date.now();
    try {
      this.onProgress({
        done: this.done,
        total: this.total,
        cell: this.cell,
        tail: this.tail.snapshot(),
        display: this.display,
        notebook: this.notebook,
        final
      });
    } catch {
      // Progress is a view of the run: a failing listener must not fail the notebook.
    }
  }
}

function firstLine(source: string): string {
  const line = source.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > MAX_TAIL_LINE ? `${line.slice(0, MAX_TAIL_LINE - 1)}…` : line;
}

/** The last non-empty line of a text/plain value, cut; null when there is none. */
function plainText(value: unknown): string | null {
  const text = Array.isArray(value) ? value.join('') : typeof value === 'string' ? value : null;
  if (text === null) return null;
  const lines = text.split(/\r?\n|\r/).filter((l) => l.trim() !== '');
  const last = lines.length > 0 ? lines[lines.length - 1] : '';
  return last.length > MAX_TAIL_LINE ? `${last.slice(0, MAX_TAIL_LINE - 1)}…` : last;
}
