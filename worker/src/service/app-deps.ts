/** What `buildApp()` needs; `compose/api-service.ts` wires the real implementations. */
import type { IJobService, ITaskEvent, IWorkerInfo } from '../domain/ports';
import type { IProgressSource } from '../domain/progress-source';
import type { UploadBudget } from './upload-budget';
import type { IScheduleService } from '../domain/schedule-service';
import type { IRetentionService } from '../domain/retention-service';

export interface IHealthReport {
  mongo: 'ok' | string;
  redis: 'ok' | string;
}

export interface IAppDeps {
  jobs: IJobService;
  /** Live workers (heartbeat within 2 × interval). */
  workers: () => Promise<IWorkerInfo[]>;
  /** Probes MongoDB and Redis; each part is 'ok' or what is wrong. */
  health: () => Promise<IHealthReport>;
  /** Subscribes to task events (Redis `nbgrid:events`); returns the unsubscribe function. */
  subscribeEvents: (onEvent: (e: ITaskEvent) => void) => () => void;
  /** The API token every route but health requires. */
  token: string;
  /**
   * Browser origins allowed by CORS.
   * @defaultValue [] (no CORS headers)
   */
  corsOrigins?: string[];
  /**
   * Largest request body in bytes; notebooks with outputs are large.
   * @defaultValue 64 MB
   */
  bodyLimit?: number;
  /**
   * Budget for request bodies in flight at once; over it a body is answered 503 with Retry-After.
   * Pass your own instance to choose the limit or to read its counters.
   * @defaultValue new UploadBudget() (128 MB)
   */
  uploadBudget?: UploadBudget;
  /**
   * `true`, `false` or pino options; the authorization header is always redacted.
   * @defaultValue false
   */
  logger?: boolean | object;
  /** Reported by `/api/health` and the OpenAPI document. */
  version: string;
  /**
   * Interval of the SSE keep-alive comment, in ms.
   * @defaultValue 15000
   */
  heartbeatMs?: number;
  /**
   * How long `/api/health` waits for the probes, in ms.
   * @defaultValue 5000
   */
  healthTimeoutMs?: number;
  /** Live progress, partial notebooks and done announcements; without it none of them is served. */
  progress?: IProgressSource;
  /** Schedules (`/api/schedules`); without it those routes answer 503. */
  schedules?: IScheduleService;
  /** Clean-up of task groups and blobs (`/api/gc`); without it that route answers 503. */
  retention?: IRetentionService;
}

/** Default `bodyLimit`: 64 MB. */
export const DEFAULT_BODY_LIMIT = 64 * 1024 * 1024;
