import { NotebookExecutionError } from './notebook-execution-error';

/** The Kernel Gateway could not be reached, or refused the request (token, kernel name). */
export class GatewayUnreachableError extends NotebookExecutionError {
  readonly kind = 'gateway-unreachable' as const;
}
