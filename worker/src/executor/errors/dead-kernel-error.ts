import { NotebookExecutionError } from './notebook-execution-error';

/** The kernel process exited (or the gateway lost it) while a cell was running. */
export class DeadKernelError extends NotebookExecutionError {
  readonly kind = 'kernel-died' as const;

  constructor(detail: string, cellIndex = -1) {
    super(`Kernel died: the kernel died while executing ${cellIndex >= 0 ? `cell ${cellIndex}` : 'the notebook'} (${detail})`);
    this.cellIndex = cellIndex;
  }
}
