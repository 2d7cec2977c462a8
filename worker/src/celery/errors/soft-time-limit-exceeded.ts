/**
 * The soft time limit of a task passed. A handler has no soft interrupt to catch, so its run is
 * aborted like at the hard limit. Stored as `celery.exceptions.SoftTimeLimitExceeded`.
 */
export class SoftTimeLimitExceeded extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}
