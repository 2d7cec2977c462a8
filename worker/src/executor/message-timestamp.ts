/**
 * Timestamps of `metadata.execution`, formatted as nbclient formats them:
 * `%Y-%m-%dT%H:%M:%S.%fZ` from the message header's date, else the current UTC time.
 */

const ISO_UTC = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(?:Z|\+00:00)$/;

/** The header date of `msg` as nbclient records it. */
export function messageTimestamp(msg: { header?: { date?: unknown } } | undefined): string {
  const date = msg?.header?.date;
  if (typeof date === 'string') {
    const match = ISO_UTC.exec(date);
    if (match) {
      return `${match[1]}.${(match[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
    }
    const parsed = new Date(date);
    if (!Number.isNaN(parsed.getTime())) {
      return isoMicroseconds(parsed);
    }
  }
  return isoMicroseconds(new Date());
}

function isoMicroseconds(date: Date): string {
  return `${date.toISOString().slice(0, -1)}000Z`;
}
