/**
 * Waits for `work`, unless a time limit passes, an AbortSignal fires or `failure` settles first.
 * Timers and listeners are removed whichever wins; a late rejection of `work` is swallowed.
 */
import { setLongTimeout, type CancelTimer } from './long-timer';

export interface IRaceGuards {
  /** Milliseconds before `onTimeout()` is thrown; no limit when undefined. */
  ms?: number;
  onTimeout?: () => Error;
  signal?: AbortSignal;
  onAbort?: (reason: unknown) => Error;
  /** Resolves with an error to throw (e.g. the kernel died). */
  failure?: Promise<Error>;
}

export function race<T>(work: Promise<T>, guards: IRaceGuards): Promise<T> {
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    let cancelTimer: CancelTimer | undefined;
    let settled = false;
    const onAbort = () => finish(() => reject(guards.onAbort ? guards.onAbort(guards.signal?.reason) : guards.signal?.reason));
    const finish = (settle: () => void) => {
      if (settled) {
        return;
      }
      settled = true;
      cancelTimer?.();
      guards.signal?.removeEventListener('abort', onAbort);
      settle();
    };
    if (guards.signal?.aborted) {
      onAbort();
      return;
    }
    guards.signal?.addEventListener('abort', onAbort, { once: true });
    if (guards.ms !== undefined) {
      // Chained: a cell timeout over 24.8 days would otherwise fire at once (Node clamps long timers).
      cancelTimer = setLongTimeout(
        () => finish(() => reject(guards.onTimeout ? guards.onTimeout() : new Error(`timed out after ${guards.ms} ms`))),
        guards.ms
      );
    }
    guards.failure?.then(
      error => finish(() => reject(error)),
      () => undefined
    );
    work.then(
      value => finish(() => resolve(value)),
      error => finish(() => reject(error))
    );
  });
}
