/**
 * Celery's Redis result backend: `celery-task-meta-<id>` holds the JSON Celery writes
 * (`{status, result, traceback, children, date_done, task_id}`), stored with SETEX and
 * published on the same name so waiting clients wake up.
 */
import type Redis from 'ioredis';
import { RemoteTaskError, ResultTimeoutError } from './errors';
import { exceptionInfo, tracebackOf, type IExceptionInfo } from './exception-info';
import { CeleryKeys } from './keys';
import { isoUtc } from './message';
import { READY_STATES, type CeleryState } from './types';

/** The stored meta of a task, as Celery 5.7 writes it. */
export interface ITaskMeta {
  status: CeleryState;
  result: unknown;
  traceback: string | null;
  children: unknown[] | null;
  date_done: string | null;
  task_id: string;
  [key: string]: unknown;
}

export interface IResultBackendOptions {
  /** Seconds a result is kept (Celery `result_expires`). @defaultValue `86400` */
  resultExpires?: number;
}

export class ResultBackend {
  readonly resultExpires: number;

  /** @param redis a normal (not subscriber) connection; `waitFor` duplicates it for its subscription. */
  constructor(private readonly redis: Redis, options: IResultBackendOptions = {}) {
    this.resultExpires = options.resultExpires ?? 86400;
  }

  /** Store a meta: SETEX then PUBLISH, as Celery's backend does. */
  async store(taskId: string, status: CeleryState, result: unknown, extra: { traceback?: string | null; children?: unknown[] | null } = {}): Promise<void> {
    const meta: ITaskMeta = {
      status,
      result,
      traceback: extra.traceback ?? null,
      children: extra.children === undefined ? [] : extra.children,
      date_done: READY_STATES.has(status) ? isoUtc(new Date()) : null,
      task_id: taskId
    };
    const key = CeleryKeys.taskMeta(taskId);
    const json = JSON.stringify(meta);
    await this.redis.multi().setex(key, this.resultExpires, json).publish(key, json).exec();
  }

  markStarted(taskId: string, info: { pid: number; hostname: string }): Promise<void> {
    return this.store(taskId, 'STARTED', info);
  }

  markSuccess(taskId: string, value: unknown): Promise<void> {
    return this.store(taskId, 'SUCCESS', value ?? null);
  }

  markFailure(taskId: string, err: unknown): Promise<void> {
    return this.store(taskId, 'FAILURE', exceptionInfo(err), { traceback: tracebackOf(err) });
  }

  markRetry(taskId: string, err: unknown): Promise<void> {
    return this.store(taskId, 'RETRY', exceptionInfo(err), { traceback: tracebackOf(err) });
  }

  markRevoked(taskId: string, reason = 'revoked'): Promise<void> {
    const info: IExceptionInfo = { exc_type: 'TaskRevokedError', exc_message: [reason], exc_module: 'celery.exceptions' };
    return this.store(taskId, 'REVOKED', info, { children: null });
  }

  /** The stored meta, or null (Celery reports that as PENDING). */
  async get(taskId: string): Promise<ITaskMeta | null> {
    const raw = await this.redis.get(CeleryKeys.taskMeta(taskId));
    return raw ? (JSON.parse(raw) as ITaskMeta) : null;
  }

  /** Wait until the task is SUCCESS, FAILURE or REVOKED; resolves with the meta. */
  async waitFor(taskId: string, timeoutMs: number): Promise<ITaskMeta> {
    const key = CeleryKeys.taskMeta(taskId);
    const sub = this.redis.duplicate();
    sub.on('error', () => undefined); // polling below still works through the main connection
    try {
      let wake: () => void = () => undefined;
      sub.on('message', (channel: string) => channel === key && wake());
      await sub.subscribe(key);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const meta = await this.get(taskId);
        if (meta && READY_STATES.has(meta.status)) return meta;
        const left = deadline - Date.now();
        if (left <= 0) throw new ResultTimeoutError(`task ${taskId} not ready after ${timeoutMs} ms (state ${meta?.status ?? 'PENDING'})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 500));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      sub.disconnect();
    }
  }

  /** Like Python's `AsyncResult.get()`: the value, or a thrown {@link RemoteTaskError}. */
  async getValue(taskId: string, timeoutMs: number): Promise<unknown> {
    const meta = await this.waitFor(taskId, timeoutMs);
    if (meta.status === 'SUCCESS') return meta.result;
    const info = meta.result as Partial<IExceptionInfo> | null;
    const msg = Array.isArray(info?.exc_message) ? info.exc_message.map(String).join(', ') : String(info?.exc_message ?? '');
    throw new RemoteTaskError(info?.exc_type ?? meta.status, info?.exc_module ?? 'builtins', msg, meta.traceback);
  }
}
