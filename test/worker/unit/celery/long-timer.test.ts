/**
 * Node clamps a timer over 2^31-1 ms to 1 ms; the chained timers of the Celery layer and of the
 * executor (one copy each: the layers share no code) fire at the time asked, however far.
 */
import { MAX_TIMER_MS as CELERY_MAX, setLongTimeout as celeryTimeout } from '../../../../worker/src/celery/long-timer';
import { MAX_TIMER_MS as EXECUTOR_MAX, setLongTimeout as executorTimeout } from '../../../../worker/src/executor/long-timer';

const DAY = 86400 * 1000;

describe.each([
  ['celery', celeryTimeout, CELERY_MAX],
  ['executor', executorTimeout, EXECUTOR_MAX]
])('%s setLongTimeout', (_layer, setLongTimeout, max) => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('fires a 25-day timeout after 25 days, not at once (a plain setTimeout would fire after 1 ms)', () => {
    expect(max).toBe(2 ** 31 - 1);
    const fn = jest.fn();
    setLongTimeout(fn, 25 * DAY);
    jest.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(25 * DAY - 1001);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(100 * DAY);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('fires a short timeout like setTimeout, and a cancelled one never', () => {
    const short = jest.fn();
    const cancelled = jest.fn();
    setLongTimeout(short, 500);
    const cancel = setLongTimeout(cancelled, 60 * DAY);
    jest.advanceTimersByTime(499);
    expect(short).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(short).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(30 * DAY);
    cancel();
    jest.advanceTimersByTime(40 * DAY);
    expect(cancelled).not.toHaveBeenCalled();
  });
});
