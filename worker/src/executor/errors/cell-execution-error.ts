import { NotebookExecutionError } from './notebook-execution-error';

/** A cell raised; ename, evalue and traceback are the kernel's execute_reply. */
export class CellExecutionError extends NotebookExecutionError {
  readonly kind = 'cell-error' as const;

  constructor(ename: string, evalue: string, traceback: string[], cellIndex: number) {
    super(evalue, ename, traceback);
    this.cellIndex = cellIndex;
  }
}
