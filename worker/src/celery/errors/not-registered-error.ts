/** A message names a task this worker has no handler for. Stored as `celery.exceptions.NotRegistered`. */
export class NotRegistered extends Error {
  constructor(taskName: string) {
    super(taskName);
    this.name = this.constructor.name;
  }
}
