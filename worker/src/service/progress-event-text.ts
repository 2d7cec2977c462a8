/**
 * `event: progress` and `event: group-done` as SSE text, formatted once per event object however
 * many streams send it (the fanout hands every stream the same object).
 */
import type { IGroupDoneEvent, IProgressEvent } from '../schemas/progress';

const formatted = new WeakMap<object, Buffer>();

function format(kind: string, event: object): Buffer {
  let chunk = formatted.get(event);
  if (chunk === undefined) {
    // JSON has no raw newlines, so one data line suffices.
    chunk = Buffer.from(`event: ${kind}\ndata: ${JSON.stringify(event)}\n\n`, 'utf8');
    formatted.set(event, chunk);
  }
  return chunk;
}

export const formatProgressEvent = (event: IProgressEvent): Buffer => format('progress', event);
export const formatGroupDoneEvent = (event: IGroupDoneEvent): Buffer => format('group-done', event);
