import { NotebookExecutionError } from './notebook-execution-error';

/** The kernel did not start and answer `kernel_info` within `startTimeout`. */
export class KernelStartTimeoutError extends NotebookExecutionError {
  readonly kind = 'start-timeout' as const;

  constructor(kernelName: string, seconds: number) {
    super(`Kernel '${kernelName}' did not start within ${seconds} seconds; raise startTimeout or check the gateway's log`);
  }
}
