/**
 * One task's row in the results read model (`results-read-model.ts`): the stored JSON texts of the
 * returned value and of the glued values of the task's OK run, with the Celery task id of that run
 * and the task document's revision they were read from.
 *
 * A task id never gets two OK runs (`task-runs.ts`), so the values of an OK run are fixed by its
 * task id: a row is right for a status row exactly when both name the same task id. That is how a
 * reader tells a current row from a stale one (a restart gives a new task id) or a missing one.
 *
 * Encoding (one Redis hash value): `<rev>|<tlen>|<rlen>|<slen>|<task_id><result><scraps>`, the
 * lengths in UTF-16 code units of the texts as JavaScript holds them; `-1` for a value the run did
 * not leave, `-2` (both) when the values were too large to keep here and must be read from
 * MongoDB. Texts are kept exactly as stored (no parse and serialize: numbers, key order, `NaN`
 * stay as written). The revision comes first, so Redis can order writes (`^(%d+)|`).
 */

/** A task's values as the read model keeps them. */
export interface IResultRow {
  /** Revision of the task document the row was read from. */
  rev: number;
  /** The Celery task id of the OK run the values belong to. */
  task_id: string;
  /** JSON text of the returned value, when the run returned one. */
  result?: string;
  /** JSON text of `[[name, value], ...]` glued with scrapbook, when the run glued any. */
  scraps?: string;
  /** True when the values were over the size limit: read them from MongoDB. */
  tooLarge?: boolean;
}

/** Characters of result and scraps text kept per row; larger values are read from MongoDB. @defaultValue 4096 */
export const MAX_ROW_VALUE_CHARS = 4096;

const ABSENT = -1;
const TOO_LARGE = -2;

/** The encoded row; values over `maxChars` (together) are left out and marked too large. */
export function encodeResultRow(row: IResultRow, maxChars = MAX_ROW_VALUE_CHARS): string {
  const result = row.result;
  const scraps = row.scraps;
  const size = (result?.length ?? 0) + (scraps?.length ?? 0);
  const tid = row.task_id;
  if (row.tooLarge || size > maxChars) return `${row.rev}|${tid.length}|${TOO_LARGE}|${TOO_LARGE}|${tid}`;
  const rlen = result === undefined ? ABSENT : result.length;
  const slen = scraps === undefined ? ABSENT : scraps.length;
  return `${row.rev}|${tid.length}|${rlen}|${slen}|${tid}${result ?? ''}${scraps ?? ''}`;
}

/** Reads a non-negative length or one of the markers; NaN for anything else. */
function length(text: string): number {
  return /^(?:-[12]|\d+)$/.test(text) ? Number(text) : NaN;
}

/** A row as `encodeResultRow` wrote it; null for text that is not one (a row is then treated as missing). */
export function decodeResultRow(encoded: string): IResultRow | null {
  let at = 0;
  const fields: number[] = [];
  for (let i = 0; i < 4; i++) {
    const bar = encoded.indexOf('|', at);
    if (bar < 0) return null;
    fields.push(length(encoded.slice(at, bar)));
    at = bar + 1;
  }
  const [rev, tlen, rlen, slen] = fields;
  if (!Number.isSafeInteger(rev) || rev < 0 || !(tlen >= 0) || Number.isNaN(rlen) || Number.isNaN(slen)) return null;
  const task_id = encoded.slice(at, at + tlen);
  at += tlen;
  if (task_id.length !== tlen) return null;
  if (rlen === TOO_LARGE || slen === TOO_LARGE) {
    return rlen === slen && at === encoded.length ? { rev, task_id, tooLarge: true } : null;
  }
  if (at + Math.max(rlen, 0) + Math.max(slen, 0) !== encoded.length) return null;
  const row: IResultRow = { rev, task_id };
  if (rlen >= 0) row.result = encoded.slice(at, at + rlen);
  at += Math.max(rlen, 0);
  if (slen >= 0) row.scraps = encoded.slice(at, at + slen);
  return row;
}
