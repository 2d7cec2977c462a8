/**
 * A run cut short by the infrastructure is not the task's failure: when the Kernel Gateway became
 * unreachable during a run (and a probe confirms it is down, so the worker pauses), the attempt
 * is recorded in the task's history as an infrastructure failure, the task goes back to PENDING
 * and its message is queued again, up to {@link INFRA_RETRIES} times. After that the run is
 * recorded as an ERROR like any other, with the gateway's message.
 */
import { Retry, type ITaskContext } from '../celery';
import type { IRunRecorder } from '../domain/run-recorder';
import { taskEvent } from '../domain/task-event';
import type { ITask } from '../domain/types';
import { KERNEL_VANISHED, type IExecutionResult } from '../executor';
import type { ITaskEvent } from '../domain/ports';

/** Retries of a task whose runs the infrastructure cut short. */
export const INFRA_RETRIES = 3;

/** Start of the message of a run the infrastructure cut short (also how they are counted). */
export const INFRA_FAILURE_PREFIX = 'infrastructure failure:';

/** What the handler needs to tell an infrastructure failure from a task's. */
export interface IInfraRetryDeps {
  /** Probes the part now; true when it is down (the worker is then paused). */
  report(part: 'gateway'): Promise<boolean>;
  /** What is down, after a report that said so (e.g. `Kernel Gateway unreachable at ...`). */
  readonly reason?: string | null;
  /** @defaultValue {@link INFRA_RETRIES} */
  maxRetries?: number;
}

/**
 * Whether an execution may have failed because the gateway went away: it could not be reached
 * (not: it refused a request), or the kernel died (the gateway takes its kernels with it). A probe
 * decides: a kernel that died while its gateway answers (e.g. out of memory) is the task's failure.
 */
export function isGatewayLoss(exec: IExecutionResult): boolean {
  if (exec.status !== 'error') return false;
  const kind = exec.error?.kind;
  return (kind === 'gateway-unreachable' && !/: 4\d\d /.test(exec.message)) || kind === 'kernel-died';
}

/**
 * When `exec` failed because the gateway is down and the task has retries left: records the
 * attempt, publishes the task's new state and throws a Celery {@link Retry}. Otherwise returns.
 */
export async function retryIfInfraFailure(
  infra: IInfraRetryDeps | undefined,
  deps: { runs: Pick<IRunRecorder, 'recordInfraAttempt'>; emit: (event: ITaskEvent) => Promise<void> },
  ctx: ITaskContext,
  started: ITask,
  exec: IExecutionResult,
  durationSeconds: number
): Promise<void> {
  if (!infra || !isGatewayLoss(exec)) return;
  const max = infra.maxRetries ?? INFRA_RETRIES;
  const earlier = started.job_runs.filter((r) => r.task_id === ctx.taskId && r.message.startsWith(INFRA_FAILURE_PREFIX)).length;
  if (earlier >= max) return;
  // A kernel the answering gateway no longer has went with a gateway restart (seen in make soak:
  // the gateway was back before the probe); a dead kernel the gateway still lists is the task's.
  const vanished = exec.error?.kind === 'kernel-died' && exec.message.includes(KERNEL_VANISHED);
  const down = await infra.report('gateway');
  if (!down && !vanished) return;
  const countdown = Math.min(30, 2 ** (earlier + 1));
  const recorded = await deps.runs.recordInfraAttempt(started.name, {
    status: 'ERROR',
    ts: new Date().toISOString(),
    message: `${INFRA_FAILURE_PREFIX} ${exec.message}${down && infra.reason ? `; ${infra.reason}` : ''} (${down ? `worker ${ctx.hostname} paused; ` : ''}retry ${earlier + 1} of ${max} in ${countdown}s)`,
    results: null,
    duration: durationSeconds,
    worker: ctx.hostname,
    attempt: started.runs_total + 1,
    task_id: ctx.taskId
  });
  if (recorded) await deps.emit(taskEvent(recorded));
  // The bound is the count of recorded infrastructure failures above, not Celery's retries
  // (MongoDB outages retry through the same counter).
  throw new Retry(`${INFRA_FAILURE_PREFIX} ${exec.message}`, { countdown, maxRetries: ctx.retries + 1 });
}
