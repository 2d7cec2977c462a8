import { messageTimestamp } from '../../../../worker/src/executor/message-timestamp';

const NBCLIENT_FORMAT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe('messageTimestamp', () => {
  it('keeps a header date that already has microseconds', () => {
    expect(messageTimestamp({ header: { date: '2026-01-02T03:04:05.123456Z' } })).toBe('2026-01-02T03:04:05.123456Z');
  });

  it('pads a date without fraction, as strftime %f does', () => {
    expect(messageTimestamp({ header: { date: '2026-01-02T03:04:05+00:00' } })).toBe('2026-01-02T03:04:05.000000Z');
  });

  it('converts a date in another zone to UTC', () => {
    expect(messageTimestamp({ header: { date: '2026-01-02T05:04:05.5+02:00' } })).toBe('2026-01-02T03:04:05.500000Z');
  });

  it('falls back to the current time', () => {
    const before = Date.now();
    const stamp = messageTimestamp({ header: {} });
    expect(stamp).toMatch(NBCLIENT_FORMAT);
    expect(Date.parse(stamp)).toBeGreaterThanOrEqual(before - 1);
  });
});
