import { NotebookExecutionError } from './notebook-execution-error';

/** The caller's AbortSignal fired; the kernel was interrupted and shut down. */
export class ExecutionAbortedError extends NotebookExecutionError {
  readonly kind = 'aborted' as const;

  constructor(reason: unknown, cellIndex = -1) {
    super(`Execution aborted${reason instanceof Error ? `: ${reason.message}` : typeof reason === 'string' ? `: ${reason}` : ''}`);
    this.cellIndex = cellIndex;
  }
}
