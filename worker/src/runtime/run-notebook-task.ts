import { Retry, type ITaskContext, type TaskHandler } from '../celery';
import { ServiceUnavailableError } from '../domain/errors';
import type { ITaskEvent } from '../domain/ports';
import type { IStorage } from '../domain/storage';
import { taskEvent } from '../domain/task-event';
import { isActive } from '../domain/task-state';
import type { IJobRun, IRunNotebookKwargs, JsonValue } from '../domain/types';
import { executeNotebook, type INotebook, type KernelPool } from '../executor';
import { retryIfInfraFailure, type IInfraRetryDeps } from './infra-retry';
import { NotebookFailedError } from './notebook-failed-error';

export interface IRunNotebookDeps {
  /** Where the task is read and its run recorded (an `NbgridStore`): only its `runs` port. */
  store: Pick<IStorage, 'runs'>;
  /** This node's Kernel Gateway. */
  gateway: { url: string; token: string };
  /** Publishes a task state change for `/api/events` and the JupyterLab panel. */
  emit: (event: ITaskEvent) => Promise<void>;
  /** Seconds to wait for a kernel. @defaultValue 60 */
  kernelStartTimeout?: number;
  /** Pre-started kernels; none = a fresh kernel started per task. */
  kernelPool?: KernelPool;
  /**
   * Which tasks may hand their kernel to a later task after a namespace reset (below the
   * fresh-kernel floor, but no process isolation): `off`, `opt-in` (notebooks whose metadata has
   * `nbgrid: {reuse_kernel: true}`) or `all`. @defaultValue 'off'
   */
  kernelReuse?: KernelReuseMode;
  log?: (line: string) => void;
  /** Tells a gateway outage from a task's failure; without it every failure is the task's. */
  infra?: IInfraRetryDeps;
}

export type KernelReuseMode = 'off' | 'opt-in' | 'all';

/** Whether a task of `notebook` may reuse a pooled kernel under `mode`. */
export function mayReuseKernel(notebook: { metadata?: Record<string, unknown> }, mode: KernelReuseMode = 'off'): boolean {
  if (mode === 'all') return true;
  if (mode !== 'opt-in') return false;
  const meta = notebook.metadata?.nbgrid as { reuse_kernel?: unknown } | undefined;
  return meta?.reuse_kernel === true;
}

/** What a successful `nbgrid.run_notebook` returns as its Celery result. */
export interface IRunNotebookResult {
  task_name: string;
  run_status: 'OK';
  results: string | null;
  result: JsonValue | null;
}

/**
 * The `nbgrid.run_notebook` task: render the task notebook from its main notebook and parameter,
 * execute it through the gateway, store the result notebook and the run, and answer Celery with
 * SUCCESS only when every cell ran — a notebook that raised is a FAILURE.
 */
export function createRunNotebookHandler(deps: IRunNotebookDeps): TaskHandler {
  const run = runNotebookTask(deps);
  return async (ctx: ITaskContext): Promise<IRunNotebookResult | { skipped: string }> => {
    try {
      return await run(ctx);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableError)) throw err;
      // MongoDB is the system of record: acking a FAILURE now would leave the task PENDING or
      // STARTED there forever. Queue the message again, with backoff, until MongoDB is back.
      const countdown = Math.min(30, 2 ** Math.min(ctx.retries, 5));
      (deps.log ?? (() => undefined))(`MongoDB unreachable during ${ctx.taskId}; retry ${ctx.retries + 1} in ${countdown}s`);
      throw new Retry(`MongoDB unreachable: ${err.message}`, { countdown, maxRetries: MONGO_RETRIES, cause: err });
    }
  };
}

/** Retries of a task while MongoDB is unreachable (backoff 1, 2, 4 … 30 s: about an hour). */
export const MONGO_RETRIES = 125;

function runNotebookTask(deps: IRunNotebookDeps): (ctx: ITaskContext) => Promise<IRunNotebookResult | { skipped: string }> {
  const log = deps.log ?? (() => undefined);
  return async (ctx: ITaskContext): Promise<IRunNotebookResult | { skipped: string }> => {
    const kwargs = ctx.kwargs as unknown as IRunNotebookKwargs;
    if (typeof kwargs?.task_name !== 'string') {
      throw new TypeError('nbgrid.run_notebook needs kwargs.task_name (a task notebook name)');
    }
    const runs = deps.store.runs;
    const { notebook, task } = await runs.renderTask(kwargs.task_name);
    if (task.task_id !== ctx.taskId || !isActive(task.state)) {
      // Restarted (new task id), revoked or finished since this message was queued.
      log(`skip ${task.name} (${ctx.taskId}): task is ${task.state} with current id ${task.task_id}`);
      return { skipped: `task ${task.name} is ${task.state} with task id ${task.task_id}` };
    }
    if (task.state === 'STARTED') {
      // The same message again: its worker died during the run and the visibility timeout gave
      // it back to the queue. Record the lost attempt so the history shows both.
      await runs.recordLostAttempt(task.name, {
        status: 'ERROR',
        ts: new Date().toISOString(),
        // This handler only asks for retries when MongoDB was unreachable (see above).
        message:
          ctx.retries > 0
            ? `the run on ${task.worker ?? 'unknown'} could not be recorded (MongoDB unreachable); the task was retried`
            : `worker ${task.worker ?? 'unknown'} stopped during the run; the task was redelivered`,
        results: null,
        duration: 0,
        worker: task.worker ?? 'unknown',
        attempt: task.job_runs.length + 1,
        task_id: ctx.taskId
      });
    }
    const started = await runs.markStarted(task.name, ctx.taskId, ctx.hostname);
    if (!started) return { skipped: `task ${task.name} changed before it started` };
    await deps.emit({ ...taskEvent(started), worker: ctx.hostname, duration: null, message: '' });

    const t0 = Date.now();
    const exec = await executeNotebook(notebook as unknown as INotebook, {
      gatewayUrl: deps.gateway.url,
      token: deps.gateway.token,
      cellTimeout: task.cell_timeout,
      startTimeout: deps.kernelStartTimeout ?? 60,
      signal: ctx.signal,
      kernelPool: deps.kernelPool,
      reuseKernel: mayReuseKernel(notebook as { metadata?: Record<string, unknown> }, deps.kernelReuse)
    });
    await retryIfInfraFailure(deps.infra, { runs, emit: deps.emit }, ctx, started, exec, (Date.now() - t0) / 1000);
    const run: IJobRun = {
      status: exec.status === 'ok' ? 'OK' : 'ERROR',
      ts: new Date().toISOString(),
      message: exec.status === 'ok' ? '' : exec.message,
      results: null,
      duration: (Date.now() - t0) / 1000,
      worker: ctx.hostname,
      attempt: started.job_runs.length + 1,
      task_id: ctx.taskId
    };
    const recorded = await runs.recordRun(started, run, exec.notebook, exec.status === 'ok' ? exec.result : undefined);
    const latest = recorded ?? (await runs.get(task.name));
    await deps.emit(taskEvent(latest));
    const resultName = latest.job_runs[latest.job_runs.length - 1]?.results ?? null;
    if (exec.status !== 'ok') {
      throw new NotebookFailedError(exec.message, exec.error?.ename);
    }
    return { task_name: task.name, run_status: 'OK', results: resultName, result: exec.result ?? null };
  };
}
