/** Raised for MongoDB or Redis cannot be reached right now. The API answers it with HTTP 503. */
export class ServiceUnavailableError extends Error {
  readonly statusCode = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
  }
}
