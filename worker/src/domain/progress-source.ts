/** What the REST API needs of live progress and done announcements (`compose/api-service.ts` wires Redis). */
import type { IGroupDoneEvent, INotify, IProgressEvent } from '../schemas/progress';

/** What a map's done announcement needs to know: its `notify` and the `origin` of the map body. */
export type IMapNotify = INotify & { origin?: string };

export interface IProgressSource {
  /** The latest progress of every running task (of one job, or all). */
  running(job?: string): Promise<IProgressEvent[]>;
  /** A running task's notebook so far, as JSON text; null when there is none. */
  partial(taskName: string): Promise<string | null>;
  /** Calls `listener` for every progress update until the returned function is called. */
  subscribeProgress(listener: (event: IProgressEvent) => void): () => void;
  /** Calls `listener` for every group-done announcement until the returned function is called. */
  subscribeDone(listener: (event: IGroupDoneEvent) => void): () => void;
  /** Keeps a map's `notify` (and its `origin`, which its group-done event carries) for its done announcement. */
  registerNotify(taskGroup: string, notify: IMapNotify): Promise<void>;
}
