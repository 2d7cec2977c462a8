/** Raised for a named thing (notebook, job, task group) does not exist. The API answers it with HTTP 404. */
export class NotFoundError extends Error {
  readonly statusCode = 404;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
  }
}
