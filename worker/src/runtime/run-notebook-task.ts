import { Retry, type ITaskContext, type TaskHandler } from '../celery';
import { ServiceUnavailableError } from '../domain/errors';
import type { ITaskEvent } from '../domain/ports';
import type { IStorage } from '../domain/storage';
import { JsonText } from '../domain/json-bytes';
import { taskEvent } from '../domain/task-event';
import { isActive } from '../domain/task-state';
import type { IJobRun, IRunNotebookKwargs, ITask, JsonValue } from '../domain/types';
import { executeNotebook, type INotebook, type IOutputLimits, type IKernelSource } from '../executor';
import type { ProgressPublisher } from '../progress/progress-publisher';
import { retryIfInfraFailure, type IInfraRetryDeps } from './infra-retry';
import { NotebookFailedError } from './notebook-failed-error';
import { inStep, RunStepError } from './run-step-error';

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
  kernelPool?: IKernelSource;
  /**
   * Which tasks may hand their kernel to a later task after a namespace reset (below the
   * fresh-kernel floor, but no process isolation): `off`, `opt-in` (notebooks whose metadata has
   * `nbgrid: {reuse_kernel: true}`) or `all`. @defaultValue 'off'
   */
  kernelReuse?: KernelReuseMode;
  /** Bounds on the outputs kept in a result notebook. @defaultValue the executor's (20 MiB per output, 50 MiB per notebook) */
  outputLimits?: IOutputLimits;
  log?: (line: string) => void;
  /** Tells a gateway outage from a task's failure; without it every failure is the task's. */
  infra?: IInfraRetryDeps;
  /** Publishes each run's live progress and partial notebook (Redis, never MongoDB); none = no progress. */
  progress?: Pick<ProgressPublisher, 'forTask'> & Partial<Pick<ProgressPublisher, 'lostPartial' | 'discardPartial'>>;
  /**
   * Called (before the message is acked) when this handler finds or leaves a task final: the
   * reduce step's trigger (`reduce/reduce-trigger.ts`). A redelivered message of a final task
   * calls it again, so a worker killed right after recording the last task misses nothing.
   * Must not throw.
   */
  onTaskFinal?: (task: ITask) => Promise<unknown>;
  /**
   * Called after an OK run was recorded as the task's outcome, with the notebook it ran, its
   * parameter's JSON text and the returned value: the cache's entry (`cache/cache-map.ts`).
   * Must not throw.
   */
  onRunOk?: (task: ITask, notebook: Record<string, unknown>, param: JsonText | undefined, returned: JsonValue | JsonText | undefined) => Promise<unknown>;
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
 * SUCCESS only when every cell ran — a notebook that raised is a FAILURE. A failure around the
 * run (rendering, executing, recording) ends the task FAILURE / ERROR in MongoDB too, with a
 * message saying what went wrong and what to do (`RunStepError`), so no task is left waiting.
 */
export function createRunNotebookHandler(deps: IRunNotebookDeps): TaskHandler {
  const run = runNotebookTask(deps);
  const log = deps.log ?? (() => undefined);
  return async (ctx: ITaskContext): Promise<IRunNotebookResult | { skipped: string }> => {
    // MongoDB is the system of record: acking a FAILURE while it is unreachable would leave the
    // task PENDING or STARTED there forever. Queue the message again, with backoff, until it is back.
    const retry = (err: ServiceUnavailableError): Retry => {
      const countdown = Math.min(30, 2 ** Math.min(ctx.retries, 5));
      log(`MongoDB unreachable during ${ctx.taskId}; retry ${ctx.retries + 1} in ${countdown}s`);
      return new Retry(`MongoDB unreachable: ${err.message}`, { countdown, maxRetries: MONGO_RETRIES, cause: err });
    };
    try {
      return await run(ctx);
    } catch (err) {
      if (err instanceof ServiceUnavailableError) throw retry(err);
      if (err instanceof RunStepError && !leftToCelery(ctx)) {
        try {
          await recordStepFailure(deps, ctx, err);
        } catch (recordErr) {
          if (recordErr instanceof ServiceUnavailableError) throw retry(recordErr);
          // Not recorded (e.g. the task was deleted): the reconciler repairs what stays stuck.
          log(`could not record the failure of ${ctx.taskId}: ${recordErr instanceof Error ? recordErr.message : String(recordErr)}`);
        }
      }
      throw err;
    }
  };
}

/** Retries of a task while MongoDB is unreachable (backoff 1, 2, 4 … 30 s: about an hour). */
export const MONGO_RETRIES = 125;

/**
 * Whether an aborted run is the Celery layer's to settle: a worker shutting down gives the
 * message back (it runs again), and a revoked task is REVOKED in MongoDB already.
 */
function leftToCelery(ctx: ITaskContext): boolean {
  if (!ctx.signal.aborted) return false;
  const reason = (ctx.signal.reason as { name?: unknown } | undefined)?.name;
  return reason === 'WorkerShutdownError' || reason === 'TaskRevokedError';
}

/** End the task as FAILURE / ERROR with the step error's message (when this message is still its current one). */
async function recordStepFailure(deps: IRunNotebookDeps, ctx: ITaskContext, err: RunStepError): Promise<void> {
  const name = (ctx.kwargs as { task_name?: unknown })?.task_name;
  if (typeof name !== 'string') return;
  const runs = deps.store.runs;
  const task = await runs.get(name);
  if (task.task_id !== ctx.taskId || !isActive(task.state)) return; // restarted or finished since: this message is outdated
  const run: IJobRun = {
    status: 'ERROR',
    ts: new Date().toISOString(),
    message: err.message,
    results: null,
    duration: 0,
    worker: ctx.hostname,
    attempt: task.runs_total + 1,
    task_id: ctx.taskId
  };
  const recorded = await runs.recordRun(task, run, null, undefined);
  if (recorded) await emitQuietly(deps, taskEvent(recorded));
  if (recorded) await deps.onTaskFinal?.(recorded);
}

/** The partial notebook a killed run of `taskId` left in Redis, or null (none, or Redis unreachable: the run is recorded without it). */
async function lostPartialOf(deps: IRunNotebookDeps, taskName: string, taskId: string): Promise<Record<string, unknown> | null> {
  try {
    return (await deps.progress?.lostPartial?.(taskName, taskId)) ?? null;
  } catch {
    return null;
  }
}

/** Publish a task event; a lost event must not fail the task (status reads MongoDB). */
async function emitQuietly(deps: IRunNotebookDeps, event: ITaskEvent): Promise<void> {
  try {
    await deps.emit(event);
  } catch (err) {
    (deps.log ?? (() => undefined))(`could not publish the event of ${event.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function runNotebookTask(deps: IRunNotebookDeps): (ctx: ITaskContext) => Promise<IRunNotebookResult | { skipped: string }> {
  const log = deps.log ?? (() => undefined);
  return async (ctx: ITaskContext): Promise<IRunNotebookResult | { skipped: string }> => {
    const kwargs = ctx.kwargs as unknown as IRunNotebookKwargs;
    if (typeof kwargs?.task_name !== 'string') {
      throw new TypeError('nbgrid.run_notebook needs kwargs.task_name (a task notebook name)');
    }
    const runs = deps.store.runs;
    // A failure here is recorded only if this message is still the task's current one (see recordStepFailure).
    const { notebook, task, param } = await inStep('render', () => runs.renderTask(kwargs.task_name));
    if (task.task_id !== ctx.taskId || !isActive(task.state)) {
      // Restarted (new task id), revoked or finished since this message was queued.
      log(`skip ${task.name} (${ctx.taskId}): task is ${task.state} with current id ${task.task_id}`);
      if (!isActive(task.state)) await deps.onTaskFinal?.(task);
      return { skipped: `task ${task.name} is ${task.state} with task id ${task.task_id}` };
    }
    if (task.state === 'STARTED') {
      // The same message again: its worker died during the run and the visibility timeout gave
      // it back to the queue. Record the lost attempt so the history shows both, with the
      // notebook as far as it got (its partial notebook, still in Redis) as its result notebook.
      const lostNotebook = ctx.retries > 0 ? null : await lostPartialOf(deps, task.name, ctx.taskId);
      await inStep('start', () =>
        runs.recordLostAttempt(task.name, {
          status: 'ERROR',
          ts: new Date().toISOString(),
          // This handler only asks for retries when MongoDB was unreachable (see above).
          message:
            ctx.retries > 0
              ? `the run on ${task.worker ?? 'unknown'} could not be recorded (MongoDB unreachable); the task was retried`
              : `worker ${task.worker ?? 'unknown'} stopped during the run; the task was redelivered` +
                (lostNotebook ? '; its result notebook holds the outputs produced before it stopped' : ''),
          results: null,
          duration: 0,
          worker: task.worker ?? 'unknown',
          attempt: task.runs_total + 1,
          task_id: ctx.taskId
        }, { whileStarted: true, resultNotebook: lostNotebook ?? undefined })
      );
      if (lostNotebook) await deps.progress?.discardPartial?.(task.name).catch(() => undefined);
    }
    const started = await inStep('start', () => runs.markStarted(task.name, ctx.taskId, ctx.hostname));
    if (!started) return { skipped: `task ${task.name} changed before it started` };
    await emitQuietly(deps, { ...taskEvent(started), worker: ctx.hostname, duration: null, message: '' });

    const t0 = Date.now();
    const reporter = deps.progress?.forTask({
      name: task.name, job: task.job, task_group: task.task_group, job_id: task.job_id, task_id: ctx.taskId, worker: ctx.hostname
    });
    const exec = await inStep('execute', () =>
      executeNotebook(notebook as unknown as INotebook, {
        onProgress: reporter?.report,
        gatewayUrl: deps.gateway.url,
        token: deps.gateway.token,
        cellTimeout: task.cell_timeout,
        startTimeout: deps.kernelStartTimeout ?? 60,
        signal: ctx.signal,
        kernelPool: deps.kernelPool,
        reuseKernel: mayReuseKernel(notebook as { metadata?: Record<string, unknown> }, deps.kernelReuse),
        outputLimits: deps.outputLimits
      })
    ).finally(() => reporter?.close());
    // Outside a step: a gateway that went away is the infrastructure's failure, not the task's.
    await retryIfInfraFailure(deps.infra, { runs, emit: deps.emit }, ctx, started, exec, (Date.now() - t0) / 1000);
    // The kernel is done (the pool shuts it down in the background): the next message may start
    // while this run is recorded. The message is still acked only after the record, below.
    ctx.releaseSlot?.();
    const run: IJobRun = {
      status: exec.status === 'ok' ? 'OK' : 'ERROR',
      ts: new Date().toISOString(),
      message: exec.status === 'ok' ? '' : exec.message,
      results: null,
      duration: (Date.now() - t0) / 1000,
      worker: ctx.hostname,
      attempt: started.runs_total + 1,
      task_id: ctx.taskId,
      ...(exec.kernel?.gpus ? { gpus: exec.kernel.gpus.join(',') } : {})
    };
    // The kernel's JSON text, stored as it is: JavaScript numbers would change big ints, 1.0, -0.0.
    const returned = exec.resultJson !== undefined ? new JsonText(exec.resultJson) : exec.result;
    const recorded = await inStep('record', () => runs.recordRun(started, run, exec.notebook, exec.status === 'ok' ? returned : undefined));
    const latest = recorded ?? (await runs.get(task.name));
    await emitQuietly(deps, taskEvent(latest));
    if (recorded?.run_status === 'OK') await deps.onRunOk?.(recorded, notebook, param, returned);
    if (!isActive(latest.state)) await deps.onTaskFinal?.(latest);
    const last = latest.job_runs[latest.job_runs.length - 1];
    if (exec.status !== 'ok') {
      throw new NotebookFailedError(exec.message, exec.error?.ename);
    }
    if (recorded && recorded.run_status !== 'OK') {
      // The notebook ran, but its run could not count as OK (e.g. its returned value was too
      // large to store): the recorded message says why.
      throw new NotebookFailedError(last?.message ?? 'the run was recorded as ERROR', undefined);
    }
    return { task_name: task.name, run_status: 'OK', results: last?.results ?? null, result: exec.result ?? null };
  };
}
