import { NotebookExecutionError } from './notebook-execution-error';

/** A cell ran longer than `cellTimeout`; worded like nbclient's CellTimeoutError. */
export class CellTimeoutError extends NotebookExecutionError {
  readonly kind = 'timeout' as const;

  constructor(timeout: number, source: string, cellIndex: number) {
    super(
      `A cell timed out while it was being executed, after ${timeout} seconds.\n` +
        'The message was: Cell execution timed out.\n' +
        'Here is a preview of the cell contents:\n' +
        `-------------------\n${previewSource(source)}\n-------------------\n`
    );
    this.cellIndex = cellIndex;
  }
}

/** The first and last five lines of a long cell, like nbclient's preview. */
function previewSource(source: string): string {
  if (!source) {
    return 'Cell contents not found.';
  }
  const lines = source.trim().split('\n');
  if (lines.length < 11) {
    return source;
  }
  return `${lines.slice(0, 5).join('\n')}\n...\n${lines.slice(-5).join('\n')}`;
}
