/**
 * The API service's schedules and retention, wired: the scheduler loop submits each occurrence's
 * stored map body through the app's own map route (`inject`, so the body is validated and
 * expanded exactly like a `POST .../map`), with the occurrence as the map's origin; the retention
 * loop deletes old groups, a schedule's groups beyond `keep_last`, unreferenced blobs and expired
 * revoke entries.
 */
import type { FastifyInstance } from 'fastify';
import type Redis from 'ioredis';
import { InvalidInputError, ServiceUnavailableError } from '../domain/errors';
import { validateMapOnly, withMapOrigin } from '../domain/map-origin';
import { BlobCollector } from '../retention/blob-collector';
import { GroupCleaner } from '../retention/group-cleaner';
import { RetentionLoop } from '../retention/retention-loop';
import { RetentionService } from '../retention/retention-service';
import { trimRevoked } from '../retention/revoked-trim';
import { ScheduleService } from '../schedules/schedule-service';
import { ScheduleStore } from '../schedules/schedule-store';
import { Scheduler, type SubmitOutcome } from '../schedules/scheduler';
import { Collections } from '../storage/collections';
import type { ITaskGroupDoc } from '../storage/documents';
import type { NbgridStore } from '../storage/nbgrid-store';

/** Tunables of the schedules and retention loops (tests set a clock and short intervals). */
export interface ISchedulingOptions {
  /** Milliseconds since the epoch, for the scheduler and retention. @defaultValue Date.now */
  now?: () => number;
  /** Scheduler tick. @defaultValue 5000 */
  tickMs?: number;
  /** An occurrence this late still counts as on time. @defaultValue 60000 */
  onTimeMs?: number;
  /** A claim left 'claimed' this long is completed by any service. @defaultValue 120000 */
  leaseMs?: number;
  /** Unreferenced blobs younger than this are kept. @defaultValue 10 minutes */
  blobGraceMs?: number;
  /** Interval of the automatic retention. @defaultValue 1 hour */
  retentionIntervalMs?: number;
  /** Days a finished group is kept (`NBGRID_RETENTION_DAYS`). */
  retentionDays?: number;
  /** Who claims occurrences. @defaultValue host:pid */
  instance?: string;
  /** Called by each blob sweep between marking and sweeping (tests widen the race window with it). */
  blobSweepAfterMark?: () => Promise<void>;
  /** Run neither loop (the routes still work). @defaultValue false */
  loopsOff?: boolean;
}

export interface IScheduling {
  schedules: ScheduleService;
  scheduler: Scheduler;
  retention: RetentionService;
  retentionLoop: RetentionLoop;
  /** The app whose map route the scheduler submits to; the loops start once it is given. */
  start(app: FastifyInstance, token: string): void;
  close(): Promise<void>;
}

export async function composeScheduling(store: NbgridStore, redis: Redis, options: ISchedulingOptions, log: (line: string) => void): Promise<IScheduling> {
  const schedulesStore = new ScheduleStore(store.connection);
  await schedulesStore.ensureIndexes();
  let target: { app: FastifyInstance; token: string } | null = null;
  /** POST the map body to the app's own map route: the same validation and expansion as any map. */
  const postMap = async (job: string, body: string): Promise<{ status: number; task_group?: string; message: string }> => {
    if (!target) return { status: 503, message: 'the API service is not started yet' };
    const { app, token } = target;
    const res = await app.inject({
      method: 'POST',
      url: `/api/jobs/${encodeURIComponent(job)}/map`,
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      payload: body
    });
    const answer = res.json() as { task_group?: string; message?: string };
    return { status: res.statusCode, task_group: answer.task_group, message: answer.message ?? res.body };
  };
  const submit = async (job: string, body: string, origin: Parameters<typeof withMapOrigin>[0]): Promise<SubmitOutcome> =>
    withMapOrigin(origin, async () => {
      const res = await postMap(job, body);
      if (res.status === 201 && res.task_group) return { ok: true, task_group: res.task_group };
      return { ok: false, message: `${res.status}: ${res.message}` };
    });
  const validateMap = async (job: string, body: string): Promise<void> => {
    let answer = { status: 0, message: '' };
    const valid = await validateMapOnly(async () => {
      answer = await postMap(job, body);
    });
    if (valid) return;
    if (answer.status === 503) throw new ServiceUnavailableError(answer.message);
    throw new InvalidInputError(`map: ${answer.message}`);
  };
  const groupOrigin = async (taskGroup: string) =>
    store.connection.run((db) =>
      db.collection<ITaskGroupDoc>(Collections.taskGroups).findOne({ _id: taskGroup }, { projection: { schedule: 1, occurrence: 1 } })
    );
  const retention = new RetentionService({
    groups: new GroupCleaner(store.connection, (g) => store.tasks.deleteGroup(g), (job, g) => store.cache.forgetGroup(job, g)),
    blobs: new BlobCollector(store.connection, options.blobGraceMs, options.now, options.blobSweepAfterMark),
    trimRevoked: () => trimRevoked(redis, (options.now ?? Date.now)()),
    now: options.now
  });
  const scheduler = new Scheduler({
    store: schedulesStore,
    submit,
    groupOrigin,
    onSubmitted: async (schedule) => {
      if (schedule.keep_last !== null) await retention.keepLast(schedule._id, schedule.keep_last);
    },
    now: options.now,
    log,
    tickMs: options.tickMs,
    onTimeMs: options.onTimeMs,
    leaseMs: options.leaseMs,
    instance: options.instance
  });
  const schedules = new ScheduleService({
    store: schedulesStore,
    scheduler,
    notebookExists: async (job) => void (await store.notebooks.describe(job)),
    validateMap,
    now: options.now
  });
  const retentionLoop = new RetentionLoop({
    service: retention,
    keepLastOf: async () =>
      (await schedulesStore.list()).filter((s) => s.keep_last !== null).map((s) => ({ id: s._id, keep_last: s.keep_last as number })),
    retentionDays: options.retentionDays,
    intervalMs: options.retentionIntervalMs,
    log
  });
  return {
    schedules,
    scheduler,
    retention,
    retentionLoop,
    start(app, token) {
      target = { app, token };
      if (options.loopsOff) return;
      scheduler.start();
      retentionLoop.start();
    },
    async close() {
      await scheduler.close();
      await retentionLoop.close();
    }
  };
}
