/** The schedules port the REST API uses (implemented by `schedules/schedule-service.ts`). */
import type { ISchedule, IScheduleRun } from '../schemas/schedules';

/** A schedule to create: the map body as its JSON text, already checked by the map's validation. */
export interface INewSchedule {
  job: string;
  cron: string;
  /** @defaultValue 'UTC' */
  tz?: string;
  /** The map body's JSON text, exactly as sent. */
  body: string;
  /** @defaultValue 'latest' */
  catchup?: 'none' | 'latest';
  /** @defaultValue null (keep every group) */
  keep_last?: number | null;
  /** @defaultValue false */
  paused?: boolean;
}

export interface IScheduleService {
  create(input: INewSchedule): Promise<ISchedule>;
  list(job?: string): Promise<ISchedule[]>;
  get(id: string): Promise<ISchedule>;
  setPaused(id: string, paused: boolean): Promise<ISchedule>;
  delete(id: string): Promise<void>;
  runNow(id: string): Promise<IScheduleRun>;
}
