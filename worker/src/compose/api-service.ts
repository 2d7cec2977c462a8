/**
 * The API service's wiring, in one place: Redis, the store on MongoDB, the task publisher, the
 * worker registry, the event bus and the job service, handed to `buildApp`. `nbgrid serve` listens
 * with the app; a test or a benchmark can `inject()` into it or listen on port 0 itself.
 */
import type { FastifyInstance } from 'fastify';
import Redis from 'ioredis';
import { WorkerRegistry } from '../celery';
import { ConfigError, type INbgridConfig } from '../config';
import { JobService } from '../jobs/job-service';
import { NbgridTaskPublisher, TaskEventBus } from '../queue';
import { RedisQueueInspector } from '../queue/queue-inspector';
import { TaskReconciler } from '../runtime/task-reconciler';
import { EventFanout } from '../runtime/event-fanout';
import type { IAnnounceOutboxOptions } from '../progress/announce-outbox';
import { ProgressService } from '../progress/progress-service';
import type { IWebhookOptions } from '../progress/webhook-sender';
import { reconcileReduce } from '../reduce/reduce-reconciler';
import { ReduceTrigger } from '../reduce/reduce-trigger';
import { withReduceEcho } from '../reduce/reduce-events';
import { buildApp, type IAppDeps } from '../service';
import { writeLogLine } from '../cli/terminal-text';
import { Cleanups } from './cleanups';
import { closeOnce } from './close-once';
import { openStore } from './open-store';
import { composeScheduling, type ISchedulingOptions, type IScheduling } from './scheduling';
import { ProgressKeys } from '../progress/keys';
import { readLostPartial } from '../progress/lost-partial';

export interface IApiServiceOverrides {
  /**
   * Where background problems are written (MongoDB waits, map writes).
   * @defaultValue a line on stderr
   */
  log?: (line: string) => void;
  /**
   * Milliseconds to wait for MongoDB at start (it may still be starting, or restarting).
   * @defaultValue 120000
   */
  mongoWaitMs?: number;
  /**
   * Options of the app besides what this module wires: `logger` (default: pino at
   * `config.logLevel`), `version` (default: the package's), `heartbeatMs`, `bodyLimit`, ...
   */
  app?: Partial<Omit<IAppDeps, 'jobs' | 'workers' | 'health' | 'subscribeEvents' | 'token' | 'corsOrigins'>>;
  /** Retries of a map's webhook POST. @defaultValue 5 attempts, 1 s backoff doubling */
  webhook?: IWebhookOptions;
  /** Lease and polling of the done announcements' outbox (and its test hook). @defaultValue 30 s lease, 1 s poll */
  announce?: IAnnounceOutboxOptions;
  /** Clock and intervals of the schedules and retention loops (`retentionDays` defaults to the config's). */
  scheduling?: ISchedulingOptions;
}

export interface IApiService {
  /** The app, not listening: `startServer({ app })`, or `app.inject()`. */
  app: FastifyInstance;
  jobs: JobService;
  /** Live progress and done announcements. */
  progress: ProgressService;
  /** Closes the app, waits for maps' writes, then closes the registry, MongoDB and Redis. Idempotent. */
  close(): Promise<void>;
  /** The schedules and retention services and their loops. */
  scheduling: IScheduling;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
/** Log lines carry names and messages from users and notebooks: no terminal escapes get through. */
const stderrLine = (line: string): void => writeLogLine(process.stderr, line);

/** @throws ConfigError when `config.token` is empty: the API does not run without a token. */
export async function composeApiService(config: INbgridConfig, overrides: IApiServiceOverrides = {}): Promise<IApiService> {
  if (!config.token) throw new ConfigError(['NBGRID_TOKEN is not set: the API refuses to run without a token']);
  const log = overrides.log ?? stderrLine;
  // Reconnect attempts at most 1 s apart, so a request during an outage fails within seconds
  // (ioredis' default backoff reaches 2 s per attempt, 3 attempts per command).
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3, enableOfflineQueue: true, retryStrategy: (times) => Math.min(times * 100, 1000) });
  redis.on('error', () => undefined); // ioredis reconnects; health reports the outage
  const cleanups = new Cleanups();
  cleanups.push(() => redis.disconnect());
  const cleanUp = (): Promise<void> => cleanups.run();
  try {
    const store = await openStore(config, redis, log, overrides.mongoWaitMs);
    cleanups.push(() => store.close());
    // Bound once the retention service exists (it is composed after the job service).
    let deleteJobGroups = async (job: string): Promise<void> => void job;
    const publisher = new NbgridTaskPublisher(redis, { visibilityTimeout: config.visibilityTimeout });
    const registry = new WorkerRegistry(redis);
    await registry.start();
    cleanups.push(() => registry.close());
    const bus = new TaskEventBus(redis);
    const fanout = new EventFanout();
    const unsubscribe = await bus.subscribe(fanout.dispatch);
    cleanups.push(unsubscribe);
    const jobs = new JobService({
      store,
      publisher,
      liveWorkers: async () => registry.list(),
      emit: (e) => void bus.publish(e).catch(() => undefined),
      log,
      reduce: store.reduce,
      cache: store.cache,
      deleteJobGroups: (job) => deleteJobGroups(job)
    });
    // Maps answer before their task documents are all written: wait for those before closing.
    cleanups.push(() => jobs.settled());
    // Tasks whose message or worker is gone can no longer change by themselves: repair them.
    const queueInspector = new RedisQueueInspector(redis);
    const reduceTrigger = new ReduceTrigger({ reduce: store.reduce, tasks: store.tasks, notebooks: store.notebooks, publisher, emit: withReduceEcho((e) => bus.publish(e)), log });
    const reconciler = new TaskReconciler({
      store: store.stuck,
      queue: queueInspector,
      liveWorkers: async () => registry.list(),
      emit: (e) => bus.publish(e),
      log,
      intervalMs: config.reconcileInterval * 1000,
      beforePass: () => reconcileReduce({ trigger: reduceTrigger, reduce: store.reduce, queue: queueInspector, getTask: (n) => store.runs.get(n), log }),
      // a lost running task keeps the outputs it produced (its partial notebook, still in Redis)
      lostNotebook: (t) => readLostPartial(redis, new ProgressKeys(), t.name, t.task_id)
    });
    reconciler.start();
    cleanups.push(() => reconciler.close());
    // Live progress and the done announcement of finished maps (exactly once across services).
    const progress = new ProgressService(redis, { status: (job, group) => jobs.status(job, group), webhook: overrides.webhook, log, announce: overrides.announce });
    await progress.start();
    cleanups.push(() => progress.close());
    cleanups.push(fanout.subscribe(progress.onTaskEvent));
    const scheduling = await composeScheduling(store, redis, { retentionDays: config.retentionDays, ...overrides.scheduling }, log);
    deleteJobGroups = async (job) => void (await scheduling.retention.deleteJobGroups(job));
    cleanups.push(() => scheduling.close());
    const app = buildApp({
      progress,
      jobs,
      workers: async () => registry.list(),
      health: async () => ({
        mongo: await store.ping().then(() => 'ok', errorText),
        redis: await redis.ping().then(() => 'ok', errorText)
      }),
      subscribeEvents: (listener) => fanout.subscribe(listener),
      token: config.token,
      corsOrigins: config.corsOrigins,
      logger: { level: config.logLevel },
      version: require('../../package.json').version as string,
      ...overrides.app,
      schedules: scheduling.schedules,
      retention: scheduling.retention
    });
    cleanups.push(() => app.close());
    scheduling.start(app, config.token);
    return { app, jobs, progress, close: closeOnce(cleanUp), scheduling };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}
