/**
 * The byte budget of a notebook's outputs. The Kernel Gateway's IOPub rate limits are off (they
 * replaced a 3 MB print with "IOPub data rate exceeded" and dropped thousands of `display()`
 * outputs while the run was OK); the executor bounds what it keeps instead, and says so in the
 * notebook wherever it left something out.
 */
import type { IOutputLimits } from './output-limits';
import type { INotebookOutput } from './types';

export type { IOutputLimits };

export const DEFAULT_MAX_OUTPUT_BYTES = 20 * 1024 * 1024;
export const DEFAULT_MAX_NOTEBOOK_OUTPUT_BYTES = 50 * 1024 * 1024;

/** Bytes an output holds: its stream text, its data's values, or its error's text. */
export function outputBytes(out: INotebookOutput): number {
  switch (out.output_type) {
    case 'stream':
      return textBytes(out.text);
    case 'error':
      return textBytes(out.ename) + textBytes(out.evalue) + textBytes(out.traceback);
    default: {
      let n = 0;
      for (const value of Object.values((out.data ?? {}) as Record<string, unknown>)) n += textBytes(value);
      return n;
    }
  }
}

function textBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.reduce((n: number, v: string) => n + Buffer.byteLength(v, 'utf8'), 0);
  if (value === undefined || value === null) return 0;
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** `text` cut to at most `max` UTF-8 bytes, on a character boundary. */
export function cutText(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.byteLength <= max) return text;
  let end = max;
  // Back up to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

/** Human-readable byte count. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** What was left out of one cell, shown in its note. */
interface ICellCut {
  note: INotebookOutput;
  dropped: number;
  shortened: number;
  bytes: number;
}

/**
 * Decides, output by output, what the notebook keeps, and keeps one note per cell saying what was
 * cut. The caller appends what `admit` returns, then calls `flush` (which appends a new note), and
 * reports outputs removed by clear_output (`cleared`).
 */
export class OutputBudget {
  readonly maxOutput: number;
  readonly maxNotebook: number;
  private readonly hint: string;
  private total = 0;
  private readonly sizes = new WeakMap<INotebookOutput, number>();
  private readonly cuts = new Map<INotebookOutput[], ICellCut>();
  /** A note made by the last `admit`, to go after the output it is about (see `flush`). */
  private pending: { outputs: INotebookOutput[]; note: INotebookOutput } | null = null;

  constructor(limits: IOutputLimits = {}) {
    this.maxOutput = limits.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.maxNotebook = limits.maxNotebookOutputBytes ?? DEFAULT_MAX_NOTEBOOK_OUTPUT_BYTES;
    this.hint = limits.raiseHint ?? "raise the executor's output limits";
  }

  /**
   * Makes `out` fit (a stream is cut) and returns it, or null when it is left out; either way the
   * cell's note says what was cut. Error outputs are always kept: they say why a run failed.
   */
  admit(out: INotebookOutput, outputs: INotebookOutput[]): INotebookOutput | null {
    let size = outputBytes(out);
    if (out.output_type === 'error') return this.kept(out, size);
    const room = Math.max(0, Math.min(this.maxOutput, this.maxNotebook - this.total));
    if (size <= room) return this.kept(out, size);
    if (out.output_type === 'stream' && typeof out.text === 'string' && room > 0) {
      const text = cutText(out.text, room);
      const keptBytes = Buffer.byteLength(text, 'utf8');
      this.cut(outputs, 'shortened', size - keptBytes);
      size = keptBytes;
      return this.kept({ ...out, text }, size);
    }
    this.cut(outputs, 'dropped', size);
    return null;
  }

  /** Whether replacing `old`'s data by data of `size` bytes fits; if so, it is accounted for. */
  admitUpdate(old: INotebookOutput, size: number, outputs: INotebookOutput[]): boolean {
    const before = this.sizes.get(old) ?? 0;
    if (size > this.maxOutput || this.total - before + size > this.maxNotebook) {
      this.cut(outputs, 'dropped', size);
      return false;
    }
    this.total += size - before;
    this.sizes.set(old, size);
    return true;
  }

  /** Appends the note a cut just made to its cell, after the output it is about. */
  flush(): void {
    if (this.pending) this.pending.outputs.push(this.pending.note);
    this.pending = null;
  }

  /** `outputs` (a cell's list) is about to be emptied by clear_output. */
  cleared(outputs: INotebookOutput[]): void {
    for (const out of outputs) this.total -= this.sizes.get(out) ?? 0;
    this.cuts.delete(outputs);
  }

  private kept(out: INotebookOutput, size: number): INotebookOutput {
    this.total += size;
    this.sizes.set(out, size);
    return out;
  }

  private cut(outputs: INotebookOutput[], how: 'dropped' | 'shortened', bytes: number): void {
    let cut = this.cuts.get(outputs);
    if (!cut) {
      cut = { note: { output_type: 'stream', name: 'stderr', text: '' }, dropped: 0, shortened: 0, bytes: 0 };
      this.cuts.set(outputs, cut);
      this.pending = { outputs, note: cut.note };
    }
    cut[how] += 1;
    cut.bytes += bytes;
    const parts = [
      cut.shortened ? `${cut.shortened} output${cut.shortened === 1 ? '' : 's'} shortened` : '',
      cut.dropped ? `${cut.dropped} output${cut.dropped === 1 ? '' : 's'} left out` : ''
    ].filter(Boolean);
    cut.note.text =
      `[nbgrid] output of this cell was cut: ${parts.join(', ')}, ${formatBytes(cut.bytes)} in all ` +
      `(limits: ${formatBytes(this.maxOutput)} per output, ${formatBytes(this.maxNotebook)} per notebook); ` +
      `to keep more, ${this.hint}\n`;
  }
}
