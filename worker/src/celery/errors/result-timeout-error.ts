/** `waitFor` gave up: no ready state was stored within the timeout. */
export class ResultTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}
