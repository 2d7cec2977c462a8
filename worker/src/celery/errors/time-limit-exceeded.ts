/** The hard time limit of a task passed; its handler was aborted. Stored as `celery.exceptions.TimeLimitExceeded`. */
export class TimeLimitExceeded extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}
