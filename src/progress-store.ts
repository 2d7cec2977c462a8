/**
 * Live progress of the running tasks of one job, as the status panel shows it: the latest update
 * of each task (`event: progress`, highest `seq` wins) and the group's estimate of the time left.
 */
import type { IProgressEvent } from '../worker/src/schemas/progress';
import type { IStatusRow } from './types';

export type { IProgressEvent };

/** The latest progress of each running task, by task name. */
export class TaskProgressStore {
  private readonly _byName = new Map<string, IProgressEvent>();

  /** Keeps `event` if it is newer than what is kept for its task; returns whether it was kept. */
  apply(event: IProgressEvent): boolean {
    const kept = this._byName.get(event.name);
    if (kept && kept.task_id === event.task_id && kept.seq >= event.seq) {
      return false;
    }
    this._byName.set(event.name, event);
    return true;
  }

  /** The latest progress of a task's current run (`taskId`), if it runs and reported. */
  get(name: string, taskId?: string): IProgressEvent | undefined {
    const event = this._byName.get(name);
    return event && (taskId === undefined || event.task_id === taskId) ? event : undefined;
  }

  /** Forgets a task (its run ended). */
  drop(name: string): void {
    this._byName.delete(name);
  }
}

/** Where a group stands, for its header. */
export interface IGroupEstimate {
  done: number;
  running: number;
  queued: number;
  /** Seconds left, estimated from the durations so far; null before a task finished. */
  etaSeconds: number | null;
}

/**
 * Counts and time left of a group: the tasks not finished, spread over the tasks running now,
 * each taking the mean duration of those finished so far (half of one for the running ones).
 */
export function estimateGroup(rows: IStatusRow[]): IGroupEstimate {
  let done = 0;
  let running = 0;
  let queued = 0;
  let sum = 0;
  let timed = 0;
  for (const row of rows) {
    if (row.status === 'SUCCESS' || row.status === 'FAILURE' || row.status === 'REVOKED') {
      done += 1;
      if (row.status !== 'REVOKED' && typeof row.duration === 'number') {
        sum += row.duration;
        timed += 1;
      }
    } else if (row.status === 'STARTED') {
      running += 1;
    } else {
      queued += 1;
    }
  }
  const mean = timed > 0 ? sum / timed : null;
  const etaSeconds = mean === null || running + queued === 0 ? (running + queued === 0 ? 0 : null) : (queued * mean) / Math.max(running, 1) + (running > 0 ? mean / 2 : 0);
  return { done, running, queued, etaSeconds };
}

/** `≈ 2 min 10 s left`, `≈ 40 s left`; '' when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null) {
    return '';
  }
  const s = Math.round(seconds);
  if (s < 60) {
    return `≈ ${s} s left`;
  }
  if (s < 3600) {
    return `≈ ${Math.floor(s / 60)} min ${s % 60} s left`;
  }
  return `≈ ${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min left`;
}
