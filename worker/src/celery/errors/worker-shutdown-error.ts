/** Abort reason given to handlers still running when `close()` times out; their messages go back to the queue. */
export class WorkerShutdownError extends Error {
  constructor(message = 'worker shutting down') {
    super(message);
    this.name = this.constructor.name;
  }
}
