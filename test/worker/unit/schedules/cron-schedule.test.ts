/**
 * Cron expressions in time zones as croner reads them, through nbgrid's wrapper: 5 fields or a
 * shorthand, an unknown zone or a bad field refused with a message naming it, daylight saving time
 * (Europe/Berlin: 2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00), the latest occurrence
 * before a time, and the period a late run is measured in.
 */
import { InvalidInputError } from '../../../../worker/src/domain/errors';
import { CronSchedule, isKnownTimeZone } from '../../../../worker/src/schedules/cron-schedule';

const at = (iso: string) => new Date(iso);

describe('CronSchedule', () => {
  it.each([
    ['0 2 * *', 'UTC', 'has 4 fields; give 5'],
    ['0 0 2 * * *', 'UTC', 'has 6 fields; give 5'],
    ['0 25 * * *', 'UTC', 'is not a valid expression'],
    ['@fortnightly', 'UTC', 'unknown shorthand'],
    ['0 2 * * *', 'Europe/Atlantis', 'not a known time zone'],
    ['0 0 30 2 *', 'UTC', 'never occurs']
  ])('refuses %j in %s', (cron, tz, message) => {
    expect(() => new CronSchedule(cron, tz)).toThrow(InvalidInputError);
    expect(() => new CronSchedule(cron, tz)).toThrow(message);
  });

  it('reads the fields in the time zone, UTC by default', () => {
    expect(new CronSchedule('0 2 * * *').next(at('2026-01-10T12:00:00Z'))).toEqual(at('2026-01-11T02:00:00Z'));
    expect(new CronSchedule('0 2 * * *', 'Europe/Berlin').next(at('2026-01-10T12:00:00Z'))).toEqual(at('2026-01-11T01:00:00Z'));
    expect(new CronSchedule('@daily', 'America/New_York').next(at('2026-07-01T12:00:00Z'))).toEqual(at('2026-07-02T04:00:00Z'));
  });

  it('runs an occurrence in the hour DST skips once, and one in the repeated hour once', () => {
    const skipped = new CronSchedule('30 2 * * *', 'Europe/Berlin');
    const spring: Date[] = [];
    for (let t = skipped.next(at('2026-03-27T12:00:00Z')); spring.length < 3 && t; t = skipped.next(t)) spring.push(t);
    // 02:30 does not exist on the 29th: croner runs it at the first valid time after, once.
    expect(spring.map((d) => d.toISOString())).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    const repeated = new CronSchedule('30 2 * * *', 'Europe/Berlin');
    const autumn: Date[] = [];
    for (let t = repeated.next(at('2026-10-24T12:00:00Z')); autumn.length < 2 && t; t = repeated.next(t)) autumn.push(t);
    expect(autumn.map((d) => d.toISOString())).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('finds the latest occurrence at or before a time, not before the schedule existed', () => {
    const minutely = new CronSchedule('* * * * *');
    expect(minutely.latest(at('2026-05-01T10:07:42Z'), at('2026-05-01T00:00:00Z'))).toEqual(at('2026-05-01T10:07:00Z'));
    expect(minutely.latest(at('2026-05-01T10:07:00Z'), at('2026-05-01T00:00:00Z'))).toEqual(at('2026-05-01T10:07:00Z'));
    const yearly = new CronSchedule('@yearly');
    expect(yearly.latest(at('2026-05-01T10:07:42Z'), at('2020-06-01T00:00:00Z'))).toEqual(at('2026-01-01T00:00:00Z'));
    expect(yearly.latest(at('2026-05-01T10:07:42Z'), at('2026-02-01T00:00:00Z'))).toBeNull();
  });

  it('measures the period after an occurrence', () => {
    expect(new CronSchedule('0 * * * *').periodAfter(at('2026-05-01T10:00:00Z'))).toBe(3_600_000);
    expect(new CronSchedule('0 9 * * 1-5').periodAfter(at('2026-05-01T09:00:00Z'))).toBe(3 * 86_400_000); // Friday → Monday
  });

  it('knows IANA zones', () => {
    expect([isKnownTimeZone('UTC'), isKnownTimeZone('Asia/Kolkata'), isKnownTimeZone('Mars/Olympus')]).toEqual([true, true, false]);
  });
});
