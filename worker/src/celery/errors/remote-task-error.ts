/** A task failed on a worker; carries the stored Celery exception fields and traceback. */
export class RemoteTaskError extends Error {
  readonly excType: string;
  readonly excModule: string;
  readonly traceback: string | null;

  constructor(excType: string, excModule: string, message: string, traceback: string | null) {
    super(`${excModule}.${excType}: ${message}`);
    this.name = this.constructor.name;
    this.excType = excType;
    this.excModule = excModule;
    this.traceback = traceback;
  }
}
