/** An nbgrid request that failed; `message` is the one to show a person. */
export class NbgridError extends Error {
  /**
   * @param message - what went wrong and, when known, how to fix it
   * @param status - HTTP status, 0 when no HTTP answer came at all
   * @param unreachable - the nbgrid service (or the server extension) could not be reached
   */
  constructor(
    message: string,
    readonly status: number,
    readonly unreachable: boolean
  ) {
    super(message);
    this.name = this.constructor.name;
  }
}

/** Raised by `parseParameters` with a message that says what is accepted. */
export class ParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}
