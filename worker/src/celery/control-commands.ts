/**
 * The pidbox commands a Celery 5 prefork worker answers that Flower 2 and the `celery` command
 * line use, with Celery's argument names and reply shapes (`celery/worker/control.py`): the
 * inspect commands (`ping`, `stats`, `active`, `reserved`, `scheduled`, `revoked`, `registered`,
 * `active_queues`, `conf`, `report`, `query_task`, `clock`, `hello`) and the control commands
 * (`revoke`, `terminate`, `add_consumer`, `cancel_consumer`, `pool_grow`, `pool_shrink`,
 * `autoscale`, `pool_restart`, `rate_limit`, `time_limit`, `enable_events`, `disable_events`,
 * `heartbeat`, `shutdown`, `election`). What each does is the worker's ({@link IControlTarget}).
 */
import { NO_REPLY, type ControlCommand } from './control';

/** What the commands need from a worker. */
export interface IControlTarget {
  revoke(taskIds: string[], terminate: boolean): void;
  /** Ids of these that the worker is running now. */
  runningOf(taskIds: string[]): string[];
  stats(): Record<string, unknown>;
  active(safe: boolean): unknown[];
  reserved(safe: boolean): unknown[];
  scheduled(safe: boolean): unknown[];
  revoked(): string[];
  registered(): string[];
  activeQueues(): unknown[];
  conf(): Record<string, unknown>;
  report(): string;
  /** `[state, info]` of a task the worker holds, else undefined. */
  queryTask(id: string): [string, Record<string, unknown>] | undefined;
  clock(): number;
  addConsumer(queue: string): void;
  cancelConsumer(queue: string): void;
  /** Concurrency now. */
  concurrency(): number;
  setConcurrency(n: number): void;
  /** Records Celery's autoscale bounds; returns them as applied. */
  autoscale(max: number, min: number): [number, number];
  /** @throws RangeError for an unknown task or a bad rate; returns Celery's reply text */
  rateLimit(taskName: string, rate: string | null): string;
  /** @throws RangeError for an unknown task */
  timeLimit(taskName: string, soft: number | null, hard: number | null): void;
  /** Turns task events on or off; returns whether that changed anything. */
  setTaskEvents(on: boolean): boolean;
  heartbeat(): void;
  /** Starts a warm shutdown (returns at once). */
  shutdown(): void;
}

const ids = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === null || v === '' ? [] : [String(v)]);
const num = (v: unknown, fallback: number | null): number | null => {
  if (v === undefined || v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new TypeError(`not a number: ${String(v)}`);
  return n;
};
const count = (v: unknown, fallback: number): number => {
  const n = num(v, fallback) ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`expected a count, got ${String(v)}`);
  return n;
};
const ok = (text: string): { ok: string } => ({ ok: text });
const nok = (text: string): { error: string } => ({ error: text });

/** The command table for a worker. */
export function celeryControlCommands(w: IControlTarget): Record<string, ControlCommand> {
  const revoke = (taskIds: string[], terminate: boolean): unknown => {
    const running = terminate ? w.runningOf(taskIds) : [];
    w.revoke(taskIds, terminate);
    if (!terminate) return ok(`tasks ${taskIds.join(', ')} flagged as revoked`);
    return ok(running.length ? `terminate: ${running.join(', ')}` : 'terminate: tasks unknown');
  };
  return {
    ping: () => ok('pong'),
    revoke: (a) => revoke(ids(a.task_id), a.terminate === true),
    terminate: (a) => revoke(ids(a.task_id), true),
    stats: () => w.stats(),
    active: (a) => w.active(a.safe === true),
    reserved: (a) => w.reserved(a.safe === true),
    scheduled: (a) => w.scheduled(a.safe === true),
    revoked: () => w.revoked(),
    registered: () => w.registered(),
    active_queues: () => w.activeQueues(),
    conf: () => w.conf(),
    report: () => ok(w.report()),
    query_task: (a) => {
      const out: Record<string, unknown> = {};
      for (const id of ids(a.ids)) {
        const found = w.queryTask(id);
        if (found) out[id] = found;
      }
      return out;
    },
    clock: () => ({ clock: w.clock() }),
    // Mingle: a Python worker starting up asks its peers for their revoked ids.
    hello: (a) => (a.from_node === undefined ? null : { revoked: w.revoked(), clock: w.clock() }),
    add_consumer: (a) => {
      const queue = String(a.queue ?? '');
      if (!queue) throw new TypeError("add_consumer() missing 1 required positional argument: 'queue'");
      w.addConsumer(queue);
      return ok(`add consumer ${queue}`);
    },
    cancel_consumer: (a) => {
      const queue = String(a.queue ?? '');
      if (!queue) throw new TypeError("cancel_consumer() missing 1 required positional argument: 'queue'");
      w.cancelConsumer(queue);
      return ok(`no longer consuming from ${queue}`);
    },
    pool_grow: (a) => {
      w.setConcurrency(w.concurrency() + count(a.n, 1));
      return ok('pool will grow');
    },
    pool_shrink: (a) => {
      const next = w.concurrency() - count(a.n, 1);
      if (next < 1) throw new RangeError("Can't shrink pool. All processes busy!");
      w.setConcurrency(next);
      return ok('pool will shrink');
    },
    autoscale: (a) => {
      const max = count(a.max, w.concurrency());
      const min = count(a.min, Math.min(max, 1));
      if (max < 1 || min > max) throw new RangeError(`autoscale needs 1 <= min <= max, got max=${max} min=${min}`);
      const [mx, mn] = w.autoscale(max, min);
      return ok(`autoscale now max=${mx} min=${mn}`);
    },
    // Celery answers this unless worker_pool_restarts is set; kernels start fresh per task anyway.
    pool_restart: () => {
      throw new RangeError('Pool restarts not enabled');
    },
    rate_limit: (a) => {
      const name = String(a.task_name ?? '');
      const rate = a.rate_limit === undefined || a.rate_limit === null ? null : String(a.rate_limit);
      try {
        return ok(w.rateLimit(name, rate));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return nok(message === 'unknown task' ? message : `Invalid rate limit string: ValueError(${JSON.stringify(message)})`);
      }
    },
    time_limit: (a) => {
      try {
        w.timeLimit(String(a.task_name ?? ''), num(a.soft, null), num(a.hard, null));
      } catch (err) {
        if (err instanceof RangeError) return nok(err.message);
        throw err;
      }
      return ok('time limits set successfully');
    },
    enable_events: () => ok(w.setTaskEvents(true) ? 'task events enabled' : 'task events already enabled'),
    disable_events: () => ok(w.setTaskEvents(false) ? 'task events disabled' : 'task events already disabled'),
    heartbeat: () => {
      w.heartbeat();
      return null;
    },
    election: () => null,
    shutdown: () => {
      w.shutdown();
      return NO_REPLY;
    }
  };
}
