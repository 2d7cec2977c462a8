import type { ExecutionErrorKind, IExecutionError } from '../execution-error';

/** Base of the errors that end a notebook execution; carries what `IExecutionResult.error` reports. */
export abstract class NotebookExecutionError extends Error {
  abstract readonly kind: ExecutionErrorKind;
  /** Index of the failing cell; -1 when no cell was running. */
  cellIndex = -1;

  constructor(
    message: string,
    readonly ename: string = '',
    readonly traceback: string[] = []
  ) {
    super(message);
    this.name = this.constructor.name;
  }

  /** The exception value reported: the kernel's evalue, or this error's message. */
  get evalue(): string {
    return this.message;
  }

  toExecutionError(): IExecutionError {
    return {
      ename: this.ename || this.name,
      evalue: this.evalue,
      traceback: this.traceback,
      cellIndex: this.cellIndex,
      kind: this.kind
    };
  }
}
