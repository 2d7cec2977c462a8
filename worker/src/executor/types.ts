/**
 * Options and results of executing a notebook through a Jupyter Kernel Gateway.
 */
import type { ExecutionErrorKind, IExecutionError } from './execution-error';
import type { JsonValue } from './json-value';
import type { IKernelSource } from './kernel-lease';
import type { IOutputLimits } from './output-limits';

export type { ExecutionErrorKind, IExecutionError };

/** A notebook output as nbformat v4 stores it. */
export type INotebookOutput = { output_type: string } & Record<string, unknown>;

/** A notebook cell as nbformat v4 stores it (only the fields the executor reads or writes). */
export interface INotebookCell {
  cell_type: string;
  source: string | string[];
  metadata: Record<string, unknown>;
  outputs?: INotebookOutput[];
  execution_count?: number | null;
  [key: string]: unknown;
}

/** An nbformat v4 notebook. */
export interface INotebook {
  cells: INotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

export interface IExecuteOptions {
  /** Base URL of the Kernel Gateway, e.g. `http://127.0.0.1:8888`. */
  gatewayUrl: string;
  /** The gateway's auth token; sent as `Authorization: token ...`, never to the kernel. */
  token: string;
  /**
   * Kernel spec name.
   * @defaultValue `metadata.kernelspec.name` of the notebook, else `python3`
   */
  kernelName?: string;
  /**
   * Seconds a cell may run before the kernel is interrupted and the run fails with kind `timeout`.
   * @defaultValue none (no limit)
   */
  cellTimeout?: number | null;
  /**
   * Seconds to wait for the kernel to start and answer `kernel_info`.
   * @defaultValue 60
   */
  startTimeout?: number;
  /** Aborting interrupts the kernel, shuts it down and fails the run with kind `aborted`. */
  signal?: AbortSignal;
  /** Called with the index of each code cell just before it is sent to the kernel. */
  onCell?: (index: number) => void;
  /**
   * Python expression evaluated after all cells succeeded; it must evaluate to a JSON text (the
   * returned value) or to `''` (no returned value).
   * @defaultValue the JSON of `job['result']` when the notebook set it, else `''`
   */
  resultExpression?: string;
  /**
   * Take a pre-started kernel from this pool (a `KernelPool`) instead of starting one
   * (kernel names the pool does not serve are started fresh). The pool shuts the kernel down after
   * the run.
   */
  kernelPool?: IKernelSource;
  /**
   * After a successful run, give the kernel back to the pool for another task (namespace reset)
   * instead of shutting it down. Opt-in: it gives up process isolation between tasks.
   * @defaultValue false
   */
  reuseKernel?: boolean;
  /**
   * Bounds on the outputs kept in the notebook (per output, per notebook); what is cut is noted
   * in the cell. @defaultValue 20 MiB per output, 50 MiB per notebook
   */
  outputLimits?: IOutputLimits;
  /**
   * Called with the run's progress (cells done / to run, the running cell, the output's last
   * lines, the notebook so far) at most once per `progressIntervalMs`, and once more when the run
   * ends (`final`). Called synchronously from the kernel's message handler: keep it cheap. What it
   * throws is ignored.
   */
  onProgress?: (progress: IExecutionProgress) => void;
  /**
   * Least milliseconds between two `onProgress` calls; changes in between are coalesced.
   * @defaultValue 250
   */
  progressIntervalMs?: number;
}

export interface IExecutionResult {
  /** The executed copy of the notebook; the input is not modified. */
  notebook: INotebook;
  status: 'ok' | 'error';
  error?: IExecutionError;
  /** Empty when ok; else `ename: evalue` and the traceback without ANSI codes, at most ~64 KB. */
  message: string;
  /** The returned value (`job['result']`); undefined when the notebook set none. */
  result?: JsonValue;
  /**
   * The returned value's JSON text exactly as the kernel wrote it (big ints, `1.0`, `-0.0` and
   * key order intact): what should be stored and served. Undefined when `result` is.
   */
  resultJson?: string;
  /**
   * Set when the notebook set a result that could not be read as JSON (e.g. NaN, a set); the run
   * then has `status: 'error'` with kind `returned-value` and this reason in its message.
   */
  resultError?: string;
  /** Seconds from the start of the call to its end, kernel start and shutdown included. */
  duration: number;
  /** The kernel that ran the notebook; absent when none was started. */
  kernel?: {
    id: string;
    /** Taken from a kernel pool. */
    pooled: boolean;
    /** `Date.now()` when the kernel was ready (before the run started, for a pooled kernel). */
    readyAt: number;
    /** Tasks the kernel ran before this one (0 unless reused). */
    uses: number;
    /** GPUs of the kernel's slot (a `SlotKernelPool`); absent when it has none. */
    gpus?: string[];
  };
}

/** The cell running now. */
export interface ICellProgress {
  /** Index of the cell in the notebook. */
  index: number;
  /** Its first non-empty source line (cut to 400 characters). */
  source: string;
  /** ISO time it was sent to the kernel. */
  started: string;
}

/** One progress update of a run. */
export interface IExecutionProgress {
  /** Code cells finished. */
  done: number;
  /** Code cells to run (empty and `skip-execution` cells do not count). */
  total: number;
  /** The cell running now; null before the first and after the last. */
  cell: ICellProgress | null;
  /** The last lines of stdout/stderr, oldest first; `\r` rewrites a line as in a terminal. */
  tail: string[];
  /** Last line of the text of the latest display / update_display / execute_result; null when none yet. */
  display: string | null;
  /**
   * The notebook as executed so far. A live object: read it synchronously (e.g. serialize it)
   * and neither keep nor change it.
   */
  notebook: INotebook;
  /** The last update of the run (sent when the run ends, whatever the interval). */
  final: boolean;
}
