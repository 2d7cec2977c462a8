/** Raised for input that breaks a rule; the message says which and how to fix it. The API answers it with HTTP 400. */
export class InvalidInputError extends Error {
  readonly statusCode = 400;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
  }
}
