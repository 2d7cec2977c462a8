export { executeNotebook, DEFAULT_START_TIMEOUT } from './execute-notebook';
export { KernelPool, type IKernelPoolOptions } from './kernel-pool';
export type { IKernelLease, IKernelSource } from './kernel-lease';
export type { JsonValue } from './json-value';
export type {
  ExecutionErrorKind,
  IExecuteOptions,
  IExecutionError,
  IExecutionResult,
  INotebook,
  INotebookCell,
  INotebookOutput
} from './types';
export {
  DEFAULT_MAX_NOTEBOOK_OUTPUT_BYTES,
  DEFAULT_MAX_OUTPUT_BYTES,
  type IOutputLimits
} from './output-budget';
export { formatErrorMessage, stripAnsi, boundText, MAX_MESSAGE_LENGTH } from './message-text';
export { NotebookExecutionError } from './errors/notebook-execution-error';
export { CellExecutionError } from './errors/cell-execution-error';
export { CellTimeoutError } from './errors/cell-timeout-error';
export { DeadKernelError } from './errors/dead-kernel-error';
export { KERNEL_VANISHED } from './kernel-session';
export { KernelStartTimeoutError } from './errors/kernel-start-timeout-error';
export { GatewayUnreachableError } from './errors/gateway-unreachable-error';
export { ExecutionAbortedError } from './errors/execution-aborted-error';
export { ReturnedValueError } from './errors/returned-value-error';
export { probeGateway } from './gateway-probe';
export { DEFAULT_PROGRESS_INTERVAL_MS, type ICellProgress, type IExecutionProgress } from './progress-tracker';
export { OutputTail, DEFAULT_TAIL_LINES } from './output-tail';
export { SlotKernelPool, type IKernelSlot, type ISlotKernelPoolOptions } from './slot-kernel-pool';
