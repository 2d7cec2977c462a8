/**
 * What a failed execution reports (`IExecutionResult.error`). A file of its own, beside the notebook
 * types, so the error classes can build it without importing the options (which name the pool).
 */

/** Why an execution did not complete. */
export type ExecutionErrorKind =
  | 'cell-error'
  | 'timeout'
  | 'kernel-died'
  | 'aborted'
  | 'gateway-unreachable'
  | 'start-timeout'
  | 'returned-value';

export interface IExecutionError {
  ename: string;
  evalue: string;
  traceback: string[];
  /** Index of the cell that failed; -1 when no cell was running (start, gateway). */
  cellIndex: number;
  kind: ExecutionErrorKind;
}
