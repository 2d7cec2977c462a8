/**
 * `hint` of an unavailable answer: which part is down (`code`, `part`) and what to do (`fix`).
 * Sent by the API service and by the server extension; the schema is `ServiceHintSchema` in
 * worker/src/schemas/common.ts. Decisions use `code`, never the message text.
 */
export interface IServiceHint {
  code: string;
  part: string;
  fix: string;
}

/** Dialog titles by hint `code`; an unknown code gets the title of its `part`. */
const TITLES: Record<string, string> = {
  service_not_configured: 'The nbgrid service is not running',
  service_unreachable: 'The nbgrid service is not running',
  mongo_unavailable: 'nbgrid cannot reach MongoDB',
  redis_unavailable: 'nbgrid cannot reach Redis',
  storage_unavailable: 'nbgrid cannot reach MongoDB or Redis'
};

/** An nbgrid request that failed; `message` is the one to show a person. */
export class NbgridError extends Error {
  /**
   * @param message - what went wrong and, when known, how to fix it
   * @param status - HTTP status, 0 when no HTTP answer came at all
   * @param unreachable - the nbgrid service (or the server extension) could not be reached
   * @param hint - the answer's `hint`, when it gave one
   */
  constructor(
    message: string,
    readonly status: number,
    readonly unreachable: boolean,
    readonly hint?: IServiceHint
  ) {
    super(message);
    this.name = this.constructor.name;
  }

  /** The title of the dialog about this error, chosen by the hint's code. */
  get title(): string {
    if (!this.hint) {
      return 'The nbgrid service is not running';
    }
    return TITLES[this.hint.code] ?? (this.hint.part === 'service' ? TITLES.service_unreachable : `nbgrid cannot reach ${this.hint.part}`);
  }
}

/** `body.hint` when it has the shape of an `IServiceHint`, else undefined. */
export function hintOf(body: unknown): IServiceHint | undefined {
  const hint = body && typeof body === 'object' ? (body as { hint?: unknown }).hint : undefined;
  if (!hint || typeof hint !== 'object') {
    return undefined;
  }
  const { code, part, fix } = hint as Record<string, unknown>;
  return typeof code === 'string' && typeof fix === 'string' ? { code, part: typeof part === 'string' ? part : '', fix } : undefined;
}

/** Raised by `parseParameters` with a message that says what is accepted. */
export class ParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}
