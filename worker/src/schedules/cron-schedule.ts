/**
 * A cron expression in a time zone, as croner reads it: 5 fields (minute hour day-of-month month
 * day-of-week) or a shorthand (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`,
 * `@annually`, `@midnight`). Daylight saving time is croner's: an occurrence in a skipped hour
 * runs once, at the first valid time after it; an occurrence in a repeated hour runs once.
 */
import { Cron } from 'croner';
import { InvalidInputError } from '../domain/errors';

/** Most steps taken to find the latest occurrence before a time (a guard, never reached for real crons). */
const MAX_STEPS = 100_000;

const SHORTHANDS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isKnownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export class CronSchedule {
  private readonly cron: Cron;

  /**
   * @param expression 5 cron fields or an `@daily`-style shorthand
   * @param tz IANA time zone the fields are read in @defaultValue 'UTC'
   * @throws InvalidInputError naming what is wrong with the expression or the time zone
   */
  constructor(
    readonly expression: string,
    readonly tz = 'UTC'
  ) {
    if (typeof tz !== 'string' || !isKnownTimeZone(tz)) {
      throw new InvalidInputError(`tz ${JSON.stringify(tz)} is not a known time zone: give an IANA name such as 'UTC' or 'Europe/Berlin'`);
    }
    const text = typeof expression === 'string' ? expression.trim() : '';
    const fields = text.split(/\s+/).filter(Boolean);
    const shorthand = fields.length === 1 && text.startsWith('@');
    if (shorthand && !SHORTHANDS.includes(text.toLowerCase())) {
      throw new InvalidInputError(`cron ${JSON.stringify(expression)}: unknown shorthand; use one of ${SHORTHANDS.join(', ')}`);
    }
    if (!shorthand && fields.length !== 5) {
      throw new InvalidInputError(
        `cron ${JSON.stringify(expression)} has ${fields.length} fields; give 5 (minute hour day-of-month month day-of-week, e.g. '0 2 * * *') or a shorthand such as '@daily'`
      );
    }
    try {
      this.cron = new Cron(text, { timezone: tz, paused: true, mode: '5-part' });
    } catch (err) {
      throw new InvalidInputError(`cron ${JSON.stringify(expression)} is not a valid expression: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!this.cron.nextRun(new Date(0))) {
      throw new InvalidInputError(`cron ${JSON.stringify(expression)} never occurs`);
    }
  }

  /** The first occurrence strictly after `after`, or null when there is none. */
  next(after: Date): Date | null {
    return this.cron.nextRun(after) ?? null;
  }

  /**
   * The latest occurrence at or before `at`, or null when there is none since `notBefore`.
   * Looks back in windows that double, so a minutely cron takes a step or two.
   */
  latest(at: Date, notBefore: Date): Date | null {
    const end = at.getTime();
    for (let window = 60_000; ; window *= 2) {
      const from = Math.max(end - window, notBefore.getTime() - 1);
      let found: Date | null = null;
      let cursor = this.next(new Date(from));
      for (let steps = 0; cursor && cursor.getTime() <= end && steps < MAX_STEPS; steps++) {
        found = cursor;
        cursor = this.next(cursor);
      }
      if (found) return found;
      if (from <= notBefore.getTime() - 1) return null;
    }
  }

  /** Milliseconds from `occurrence` to the next one (the period a late run is measured in). */
  periodAfter(occurrence: Date): number {
    const next = this.next(occurrence);
    return next ? next.getTime() - occurrence.getTime() : Number.POSITIVE_INFINITY;
  }
}
