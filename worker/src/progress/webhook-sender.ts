/**
 * POSTs a map's done summary to its webhook: JSON, no credentials of nbgrid (the service token
 * never leaves the service), retried with exponential backoff on 5xx, 429 and connection errors a
 * bounded number of times; any other answer ends it. Every attempt of one announcement carries the
 * same `Idempotency-Key` (`<group>:<round>`), so a receiver can drop a repeat (delivery is at least
 * once: a service that dies after a POST and before recording it leaves it to another service).
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface IWebhookOptions {
  /** Attempts in all. @defaultValue 5 */
  attempts?: number;
  /** Milliseconds before the first retry, doubled each time. @defaultValue 1000 */
  backoffMs?: number;
  /** Milliseconds one attempt may take. @defaultValue 10000 */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** Per POST: what only this announcement has. */
export interface IWebhookRequest {
  /** Extra request headers (e.g. `Idempotency-Key`). */
  headers?: Record<string, string>;
  /** Ends the attempts at once (the service is stopping, or lost its lease): the outcome says `aborted`. */
  signal?: AbortSignal;
}

/** What became of a webhook POST. */
export interface IWebhookOutcome {
  delivered: boolean;
  attempts: number;
  /** HTTP status of the last answer; null when there was none. */
  status: number | null;
  /** The signal ended it before an answer ended it. */
  aborted?: boolean;
}

const retryable = (status: number): boolean => status >= 500 || status === 429;

export async function postWebhook(url: string, body: unknown, options: IWebhookOptions = {}, request: IWebhookRequest = {}): Promise<IWebhookOutcome> {
  const attempts = options.attempts ?? 5;
  const backoff = options.backoffMs ?? 1000;
  const log = options.log ?? (() => undefined);
  const text = JSON.stringify(body);
  let status: number | null = null;
  const { signal } = request;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (signal?.aborted) return { delivered: false, attempts: attempt - 1, status, aborted: true };
    let problem: string;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { ...request.headers, 'content-type': 'application/json', 'user-agent': 'nbgrid-webhook' },
        body: text,
        redirect: 'manual',
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs ?? 10_000)]) : AbortSignal.timeout(options.timeoutMs ?? 10_000)
      });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
      if (status < 300) return { delivered: true, attempts: attempt, status };
      if (!retryable(status)) {
        log(`webhook ${url} answered ${status}; not retried`);
        return { delivered: false, attempts: attempt, status };
      }
      problem = `answered ${status}`;
    } catch (err) {
      if (signal?.aborted) return { delivered: false, attempts: attempt, status: null, aborted: true };
      status = null;
      problem = err instanceof Error ? err.message : String(err);
    }
    if (attempt < attempts) {
      const wait = backoff * 2 ** (attempt - 1);
      log(`webhook ${url} ${problem}; retry ${attempt} of ${attempts - 1} in ${wait} ms`);
      await delay(wait, undefined, { signal }).catch(() => undefined); // an abort ends the wait early
    } else {
      log(`webhook ${url} ${problem}; gave up after ${attempts} attempts`);
    }
  }
  return { delivered: false, attempts, status };
}

