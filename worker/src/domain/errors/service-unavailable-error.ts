/** The infrastructure a `ServiceUnavailableError` is about. */
export type UnavailablePart = 'mongodb' | 'redis';

/** Raised for MongoDB or Redis cannot be reached right now. The API answers it with HTTP 503. */
export class ServiceUnavailableError extends Error {
  readonly statusCode = 503;
  /** The part that is down, when the raiser knows it; the 503 answer's hint names it. */
  readonly part?: UnavailablePart;
  constructor(message: string, options?: { cause?: unknown; part?: UnavailablePart }) {
    super(message, options);
    this.name = this.constructor.name;
    this.part = options?.part;
  }
}
