/**
 * A byte budget for request bodies in flight. Fastify's `bodyLimit` bounds one body, not how many
 * arrive at once: eight parallel 60 MB notebook uploads each hold the raw bytes, the decoded text,
 * the parsed value and the stored copy at the same time, and can exhaust the service's memory.
 * A body is admitted when its declared size fits into what is left of the budget, and counts until
 * its answer is sent; otherwise it is answered 503 with Retry-After before any of it is read.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './error-handler';

/** Default `IUploadBudgetOptions.limitBytes`: 128 MB, two bodies of the default 64 MB body limit. */
export const DEFAULT_UPLOAD_BUDGET_BYTES = 128 * 1024 * 1024;

/** Default `IUploadBudgetOptions.retryAfterS`. */
export const DEFAULT_UPLOAD_RETRY_AFTER_S = 5;

export interface IUploadBudgetOptions {
  /**
   * Bytes of request bodies that may be in flight at once (declared sizes, from receipt of the
   * headers until the answer is sent). A single body up to the body limit is always admitted
   * when nothing else is in flight, so a budget below the body limit never refuses a body forever.
   * @defaultValue DEFAULT_UPLOAD_BUDGET_BYTES (128 MB)
   */
  limitBytes?: number;
  /**
   * Seconds a refused client is told to wait (the Retry-After header).
   * @defaultValue 5
   */
  retryAfterS?: number;
}

/** What the budget has seen, for tests and diagnostics. */
export interface IUploadBudgetStats {
  /** Bytes admitted and not yet answered. */
  inFlightBytes: number;
  /** Bodies admitted and not yet answered. */
  inFlightBodies: number;
  /** Most bytes in flight at any time. */
  peakBytes: number;
  /** Bodies admitted so far. */
  admitted: number;
  /** Bodies refused so far. */
  refused: number;
}

function megabytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
}

/** Counts bytes of bodies in flight against a limit. */
export class UploadBudget {
  readonly limitBytes: number;
  readonly retryAfterS: number;
  private inFlightBytes = 0;
  private inFlightBodies = 0;
  private peakBytes = 0;
  private admitted = 0;
  private refused = 0;

  constructor(options: IUploadBudgetOptions = {}) {
    this.limitBytes = options.limitBytes ?? DEFAULT_UPLOAD_BUDGET_BYTES;
    this.retryAfterS = options.retryAfterS ?? DEFAULT_UPLOAD_RETRY_AFTER_S;
    if (!(this.limitBytes > 0) || !(this.retryAfterS >= 0)) {
      throw new Error(`UploadBudget: limitBytes must be positive and retryAfterS not negative, got ${this.limitBytes} and ${this.retryAfterS}`);
    }
  }

  /**
   * Reserves `bytes` and returns the function that gives them back (idempotent), or `null` when
   * they do not fit now.
   */
  tryReserve(bytes: number): (() => void) | null {
    if (this.inFlightBodies > 0 && this.inFlightBytes + bytes > this.limitBytes) {
      this.refused += 1;
      return null;
    }
    this.inFlightBytes += bytes;
    this.inFlightBodies += 1;
    this.admitted += 1;
    this.peakBytes = Math.max(this.peakBytes, this.inFlightBytes);
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.inFlightBytes -= bytes;
        this.inFlightBodies -= 1;
      }
    };
  }

  stats(): IUploadBudgetStats {
    return {
      inFlightBytes: this.inFlightBytes,
      inFlightBodies: this.inFlightBodies,
      peakBytes: this.peakBytes,
      admitted: this.admitted,
      refused: this.refused
    };
  }

  /** The 503 message for a body of `bytes` that did not fit. */
  refusal(bytes: number): string {
    return (
      `the service is busy receiving other uploads (${megabytes(this.inFlightBytes)} in flight; ` +
      `its budget for request bodies in flight is ${megabytes(this.limitBytes)}, this body is ${megabytes(bytes)}): ` +
      `retry in ${this.retryAfterS} s, upload large notebooks one at a time, or clear large outputs first`
    );
  }
}

/** Size a body will have at most: its Content-Length, else the body limit for a chunked body; 0 without a body. */
function declaredSize(request: FastifyRequest, bodyLimit: number): number {
  const length = request.headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    return Number.isFinite(n) && n >= 0 ? n : 0;
  }
  return request.headers['transfer-encoding'] !== undefined ? bodyLimit : 0;
}

/**
 * Admits every request body against `budget` before it is read; bodies over `bodyLimit` are left
 * to Fastify's 413, empty ones pass.
 */
export function registerUploadBudget(app: FastifyInstance, budget: UploadBudget, bodyLimit: number): void {
  const releases = new WeakMap<FastifyRequest, () => void>();
  app.addHook('preParsing', (request: FastifyRequest, reply: FastifyReply, payload, done) => {
    const bytes = declaredSize(request, bodyLimit);
    if (bytes === 0 || bytes > bodyLimit) {
      done(null, payload);
      return;
    }
    const release = budget.tryReserve(bytes);
    if (release === null) {
      const message = budget.refusal(bytes);
      request.log.warn({ bytes, budget: budget.stats() }, message);
      // Answered here; not calling done() ends the lifecycle and Node discards the unread body.
      void reply.code(503).header('retry-after', String(budget.retryAfterS)).send(errorBody(503, message));
      return;
    }
    releases.set(request, release);
    // 'close' follows an aborted upload and a destroyed socket too, where onResponse may not run.
    reply.raw.once('close', release);
    done(null, payload);
  });
  app.addHook('onResponse', (request: FastifyRequest, _reply: FastifyReply, done) => {
    releases.get(request)?.();
    done();
  });
}
