/** The task was revoked (or expired) before or while running. Stored as `celery.exceptions.TaskRevokedError`. */
export class TaskRevokedError extends Error {
  constructor(message = 'revoked') {
    super(message);
    this.name = this.constructor.name;
  }
}
