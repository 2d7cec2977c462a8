import { Notification } from '@jupyterlab/apputils';
import type { IScheduleChoice } from './schedule-fields';
import type { INbgridClient } from './tokens';
import type { MapRequest } from './types';

/** Saves a map as a schedule and says when it runs next. @throws NbgridError from the service */
export async function saveSchedule(client: INbgridClient, job: string, request: MapRequest, choice: IScheduleChoice): Promise<void> {
  const schedule = await client.createSchedule({ job, cron: choice.cron, tz: choice.tz, map: request });
  const next = schedule.next_run ? new Date(schedule.next_run).toLocaleString() : 'never';
  Notification.success(`Scheduled ${job} at '${schedule.cron}' (${schedule.tz}); next run ${next}.`, { autoClose: 8000 });
}
