/** A message on a queue or channel is not a Celery protocol v2 message nbgrid can read; it is logged and dropped. */
export class MalformedMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
  }
}
