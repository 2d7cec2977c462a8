/**
 * A failure around a task notebook's run (reading, rendering, starting, executing or recording
 * it), as opposed to the notebook's own error. Its message says what went wrong and what to do,
 * and is what the task's run history and the Celery FAILURE show.
 */
import { ServiceUnavailableError } from '../domain/errors';

export type RunStep = 'render' | 'start' | 'execute' | 'record';

const WHAT: Record<RunStep, string> = {
  render: 'nbgrid could not render the task notebook',
  start: 'nbgrid could not mark the task started',
  execute: 'nbgrid could not execute the task notebook',
  record: 'the task notebook ran, but nbgrid could not record its run'
};

const FIX: Record<RunStep, string> = {
  render: 'fix the main notebook or the parameter, then restart(refresh=True) (nbgrid restart --refresh), or map() again',
  start: 'restart() the task (nbgrid restart); if it happens again, see the worker log',
  execute: 'check the worker and its Kernel Gateway (nbgrid workers, nbgrid health), then restart() the task',
  record: 'restart() the task (nbgrid restart); if it happens again, see the worker log'
};

export class RunStepError extends Error {
  constructor(
    readonly step: RunStep,
    cause: unknown
  ) {
    const detail = cause instanceof Error ? `${cause.name === 'Error' ? '' : `${cause.name}: `}${cause.message}` : String(cause);
    super(`${WHAT[step]}: ${detail}. What to do: ${FIX[step]}.`, { cause });
    this.name = this.constructor.name;
  }
}

/**
 * Run `fn` as `step` of a task: an error it raises becomes a RunStepError of that step, except
 * an unreachable MongoDB (`ServiceUnavailableError`), which is infrastructure, not the task's
 * failure, and stays as it is so the message is retried.
 */
export async function inStep<T>(step: RunStep, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RunStepError || err instanceof ServiceUnavailableError) throw err;
    throw new RunStepError(step, err);
  }
}
