/**
 * A timeout that may be longer than Node's timers allow: `setTimeout` clamps any delay over
 * 2^31-1 ms (about 24.8 days) to 1 ms, so a 25-day time limit would fire at once. Longer delays
 * are chained from several timers. (The executor has its own copy: the layers share no code.)
 */

/** Longest delay a single Node timer takes. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Cancels a {@link setLongTimeout}; calling it again does nothing. */
export type CancelTimer = () => void;

/** Calls `fn` once after `ms` milliseconds (any finite length); returns the cancel function. */
export function setLongTimeout(fn: () => void, ms: number): CancelTimer {
  const due = Date.now() + Math.max(0, ms);
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const arm = (): void => {
    const left = due - Date.now();
    if (left > MAX_TIMER_MS) timer = setTimeout(arm, MAX_TIMER_MS);
    else timer = setTimeout(() => !cancelled && fn(), Math.max(0, left));
  };
  arm();
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}
