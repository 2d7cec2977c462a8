import { NotebookExecutionError } from './notebook-execution-error';

/**
 * Every cell ran, but `job['result']` cannot be stored as JSON exactly (NaN, a set, a datetime,
 * ...): the run fails with the reason instead of succeeding with a silent `null`.
 */
export class ReturnedValueError extends NotebookExecutionError {
  readonly kind = 'returned-value' as const;

  /** @param reason the kernel's `ename: evalue`, e.g. `TypeError: job['result'] is a set: ...` */
  constructor(reason: string) {
    super(`the notebook ran, but its returned value cannot be stored: ${reason}`, 'ReturnedValueError');
  }
}
