/**
 * Executes a notebook through a Jupyter Kernel Gateway the way nbclient executes it with its
 * defaults: cells in order, non-code, empty and `skip-execution` cells skipped, outputs recorded as
 * nbclient records them, stdin off, and a stop at the first error (unless the cell is tagged
 * `raises-exception`). The kernel is always shut down.
 */
import { GatewayClient } from './gateway-client';
import { CellExecutionError } from './errors/cell-execution-error';
import { CellTimeoutError } from './errors/cell-timeout-error';
import { ExecutionAbortedError } from './errors/execution-aborted-error';
import { GatewayUnreachableError } from './errors/gateway-unreachable-error';
import { KernelStartTimeoutError } from './errors/kernel-start-timeout-error';
import { ReturnedValueError } from './errors/returned-value-error';
import { NotebookExecutionError } from './errors/notebook-execution-error';
import type { IKernelLease } from './kernel-lease';
import { KernelSession } from './kernel-session';
import { formatErrorMessage } from './message-text';
import { OutputRecorder } from './output-recorder';
import { ProgressTracker } from './progress-tracker';
import { isCleanSystemExit } from './system-exit';
import { decodeReturnedValue, DEFAULT_RESULT_EXPRESSION, RESULT_KEY, resultUserExpression } from './returned-value';
import type { IExecuteOptions, IExecutionResult, INotebook, INotebookCell } from './types';

/**
 * Seconds to wait for the kernel to start.
 * @defaultValue 60 (nbclient's `startup_timeout`)
 */
export const DEFAULT_START_TIMEOUT = 60;

/** Tag of cells nbclient does not execute. */
const SKIP_TAG = 'skip-execution';
/** Tag of cells whose error does not stop the run. */
const RAISES_TAG = 'raises-exception';

/**
 * Executes a copy of `notebook` and resolves with it, its status and its returned value.
 * Every way a run can fail that is about the notebook, kernel or gateway resolves with
 * `status: 'error'` and an `error.kind`; only a programming error (e.g. `onCell` throwing)
 * rejects. Either way the kernel has been shut down when the promise settles.
 *
 * @example
 * const run = await executeNotebook(nb, { gatewayUrl, token, cellTimeout: 600, signal });
 * if (run.status === 'error') console.log(run.error.kind, run.message);
 */
export async function executeNotebook(notebook: INotebook, options: IExecuteOptions): Promise<IExecutionResult> {
  const started = Date.now();
  const executed = structuredClone(notebook);
  const client = new GatewayClient(options.gatewayUrl, options.token);
  const kernelName = options.kernelName || kernelspecName(executed) || 'python3';
  const finish = (partial: Omit<IExecutionResult, 'notebook' | 'duration' | 'message'> & { message?: string }) => ({
    notebook: executed,
    message: '',
    ...partial,
    duration: (Date.now() - started) / 1000
  });

  let session: KernelSession | null = null;
  let lease: IKernelLease | null = null;
  let succeeded = false;
  let kernel: IExecutionResult['kernel'];
  try {
    const startTimeout = options.startTimeout ?? DEFAULT_START_TIMEOUT;
    lease = options.kernelPool ? await acquirePooled(options, kernelName, startTimeout) : null;
    const start = lease ?? (await KernelSession.start(client, kernelName, { startTimeout, signal: options.signal }));
    session = start.session;
    kernel = {
      id: session.model.id,
      pooled: lease !== null,
      readyAt: lease ? lease.readyAt : Date.now(),
      uses: lease ? lease.uses : 0,
      ...(lease?.gpus ? { gpus: lease.gpus } : {})
    };
    executed.metadata.language_info = start.info.language_info;
    const withLastCell = await executeCells(executed, session, options);
    const returned = withLastCell ?? (await readReturnedValue(session, options));
    succeeded = true;
    if (returned.error !== undefined) {
      const failure = new ReturnedValueError(returned.error).toExecutionError();
      return finish({ status: 'error', error: failure, message: formatErrorMessage(failure), resultError: returned.error, kernel });
    }
    return finish({ status: 'ok', result: returned.value, resultJson: returned.text, kernel });
  } catch (error) {
    if (!(error instanceof NotebookExecutionError)) {
      throw error;
    }
    if (error.kind === 'timeout' || error.kind === 'aborted') {
      await session?.interrupt();
    }
    const failure = error.toExecutionError();
    return finish({ status: 'error', error: failure, message: formatErrorMessage(failure), kernel });
  } finally {
    if (lease) {
      // The pool shuts the kernel down (or resets it for reuse) off the task's critical path.
      lease.release({ reuse: succeeded && options.reuseKernel === true });
    } else {
      await session?.shutdown();
    }
  }
}

/** A kernel from the pool within the start time limit; a kernel name the pool does not serve is started fresh. */
async function acquirePooled(options: IExecuteOptions, kernelName: string, startTimeout: number): Promise<IKernelLease | null> {
  const pool = options.kernelPool!;
  if (!pool.pools(kernelName)) return null;
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new KernelStartTimeoutError(kernelName, startTimeout)), startTimeout * 1000);
  try {
    return await pool.acquire(kernelName, controller.signal);
  } catch (error) {
    if (error instanceof NotebookExecutionError) throw error;
    if (options.signal?.aborted) throw new ExecutionAbortedError(options.signal.reason);
    throw new GatewayUnreachableError(error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Runs the cells; resolves with the returned value when the last cell's reply carried it (see executeEachCell). */
async function executeCells(notebook: INotebook, session: KernelSession, options: IExecuteOptions): Promise<ReturnType<typeof decodeReturnedValue> | undefined> {
  const progress = options.onProgress
    ? new ProgressTracker(notebook, notebook.cells.filter(runsCell).length, options.onProgress, options.progressIntervalMs)
    : null;
  try {
    return await executeEachCell(notebook, session, options, progress);
  } finally {
    // The last update carries the outputs up to the end (or up to the failure).
    progress?.finish();
  }
}

/** Whether nbclient executes this cell. */
function runsCell(cell: INotebookCell): boolean {
  return cell.cell_type === 'code' && sourceText(cell).trim() !== '' && !tags(cell).includes(SKIP_TAG);
}

/**
 * Runs the cells in order. The last cell to run carries the returned value's user expression: the
 * kernel evaluates it after the cell, when the cell ended `ok` (as the separate silent request of
 * `readReturnedValue` would, on the same namespace), which spares that request per task. Resolves
 * with the value when that reply carried it; undefined (read it apart) when the run stopped
 * earlier or the last cell raised.
 */
async function executeEachCell(
  notebook: INotebook, session: KernelSession, options: IExecuteOptions, progress: ProgressTracker | null
): Promise<ReturnType<typeof decodeReturnedValue> | undefined> {
  const recorder = new OutputRecorder(notebook, options.outputLimits);
  const timeout = options.cellTimeout && options.cellTimeout > 0 ? options.cellTimeout : undefined;
  const onIOPub = progress
    ? (msg: Parameters<OutputRecorder['handleIOPub']>[0]) => {
        recorder.handleIOPub(msg);
        progress.output(msg);
      }
    : (msg: Parameters<OutputRecorder['handleIOPub']>[0]) => recorder.handleIOPub(msg);
  let executedCount = 0;
  const lastIndex = notebook.cells.map(runsCell).lastIndexOf(true);
  const resultExpression = { [RESULT_KEY]: resultUserExpression(options.resultExpression ?? DEFAULT_RESULT_EXPRESSION) };
  for (const [index, cell] of notebook.cells.entries()) {
    if (!runsCell(cell)) {
      continue;
    }
    const code = sourceText(cell);
    const allowsErrors = tags(cell).includes(RAISES_TAG);
    options.onCell?.(index);
    recorder.beginCell(index);
    progress?.cellStarted(index, code);
    executedCount += 1;
    const reply = await session.execute(
      { code, silent: false, store_history: true, user_expressions: index === lastIndex ? resultExpression : {}, allow_stdin: false, stop_on_error: !allowsErrors },
      { onIOPub, onReply: msg => recorder.recordReply(msg) },
      {
        ms: timeout === undefined ? undefined : timeout * 1000,
        onTimeout: () => new CellTimeoutError(timeout!, code, index),
        signal: options.signal,
        cellIndex: index
      }
    );
    // nbclient numbers cells itself; with history on, the kernel's count is the same number.
    cell.execution_count = executedCount;
    progress?.cellFinished();
    const content = reply.content;
    if (content.status === 'error' && !allowsErrors) {
      // sys.exit() / sys.exit(0): the run ends here and is OK, as papermill has it (system-exit.ts)
      if (isCleanSystemExit(content.ename, content.evalue)) return;
      throw new CellExecutionError(content.ename, content.evalue, content.traceback, index);
    }
    const expressions = content.status === 'ok' ? (content as { user_expressions?: Record<string, unknown> }).user_expressions : undefined;
    if (index === lastIndex && expressions && RESULT_KEY in expressions) return decodeReturnedValue(expressions[RESULT_KEY]);
  }
  return undefined;
}

async function readReturnedValue(session: KernelSession, options: IExecuteOptions) {
  const reply = await session.execute(
    {
      code: '',
      silent: true,
      store_history: false,
      allow_stdin: false,
      stop_on_error: false,
      user_expressions: { [RESULT_KEY]: resultUserExpression(options.resultExpression ?? DEFAULT_RESULT_EXPRESSION) }
    },
    { onIOPub: () => undefined, onReply: () => undefined },
    { signal: options.signal, cellIndex: -1 }
  );
  const content = reply.content as { user_expressions?: Record<string, unknown> };
  return decodeReturnedValue(content.user_expressions?.[RESULT_KEY]);
}

function sourceText(cell: INotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : (cell.source ?? '');
}

function tags(cell: INotebookCell): string[] {
  const value = cell.metadata?.tags;
  return Array.isArray(value) ? (value as string[]) : [];
}

function kernelspecName(notebook: INotebook): string | undefined {
  const spec = notebook.metadata?.kernelspec as { name?: unknown } | undefined;
  return typeof spec?.name === 'string' && spec.name ? spec.name : undefined;
}
