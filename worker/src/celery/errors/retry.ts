/**
 * Thrown by a task handler to ask for another attempt: the worker re-publishes the message with
 * `retries + 1` after `countdown` seconds and stores the RETRY state. Named like Celery's
 * `celery.exceptions.Retry` so the stored exception reads the same from Python.
 */
export class Retry extends Error {
  /** Seconds before the next attempt. */
  readonly countdown: number;
  /** Give up (FAILURE with this error's cause) once `retries` reaches this. */
  readonly maxRetries: number | null;

  constructor(message = 'retry', options: { countdown?: number; maxRetries?: number | null; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = this.constructor.name;
    this.countdown = options.countdown ?? 3;
    this.maxRetries = options.maxRetries ?? 3;
  }
}
