/**
 * Decides that a map (or a restart of it) is done once every task of its group is final, and
 * queues its announcement (the `group-done` event and the map's webhook POST, delivered by
 * AnnounceOutbox).
 *
 * Exactly once, with any number of API services and across their restarts, by one atomic step (a
 * Lua script): `SET nbgrid:done:<group>:<round> NX` and, when it sets the key, XADD of the
 * announcement to the outbox stream. The round is a digest of the group's current task ids (a
 * restart gives the restarted tasks new ids, so a new round). A claimed announcement is recorded
 * in the same step, so no service death can lose it. Groups with tasks queued or running since
 * their last announcement are kept in a Redis set, so a service that starts checks the groups whose
 * last task ended while no service was listening.
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { ITaskEvent } from '../domain/ports';
import { isActiveState } from '../domain/queue-states';
import type { IStatusRow } from '../domain/types';
import type { IMapNotify } from '../domain/progress-source';
import type { IGroupDoneEvent } from '../schemas/progress';
import type { IAnnouncement } from './announce-outbox';
import { withAnnounceCommands } from './announce-scripts';
import { ProgressKeys } from './keys';

/** Most failed task names an announcement lists. */
export const MAX_FAILED_NAMES = 1000;

/** Seconds the done keys and notify settings are kept. @defaultValue 30 days */
const KEEP_SEC = 30 * 24 * 3600;

export interface IGroupDoneWatcherDeps {
  redis: Redis;
  keys?: ProgressKeys;
  /** The group's status rows (`JobService.status`). */
  status: (job: string, taskGroup: string) => Promise<IStatusRow[]>;
  /** Milliseconds to wait after a final task event before checking its group (bursts coalesce). @defaultValue 500 */
  debounceMs?: number;
  log?: (line: string) => void;
}

export class GroupDoneWatcher {
  private readonly keys: ProgressKeys;
  private readonly log: (line: string) => void;
  /** Groups this process marked open (saves a Redis call per PENDING event of a big map). */
  private readonly marked = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly deps: IGroupDoneWatcherDeps) {
    this.keys = deps.keys ?? new ProgressKeys();
    this.log = deps.log ?? (() => undefined);
  }

  /** Checks the groups left open, e.g. while no service was running. */
  async start(): Promise<void> {
    const open = await this.deps.redis.smembers(this.keys.openGroups);
    for (const member of open) {
      const [job, group] = member.split('\t');
      if (job && group) this.schedule(job, group);
    }
  }

  /** Feed every task event of the bus here. */
  readonly onTaskEvent = (event: ITaskEvent): void => {
    if (this.closed) return;
    if (isActiveState(event.status)) {
      if (event.status === 'PENDING') this.markOpen(event.job, event.task_group);
      return;
    }
    this.schedule(event.job, event.task_group);
  };

  /** Another service (or this one) announced the group: its next round must be marked again. */
  readonly onGroupDone = (event: IGroupDoneEvent): void => {
    this.marked.delete(member(event.job, event.task_group));
  };

  /** Stops checking; waits for the checks in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Resolves when every check started so far has ended (for tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.timers.size > 0) {
      await Promise.allSettled([...this.inFlight]);
      if (this.timers.size > 0) await new Promise((r) => setTimeout(r, 50));
    }
  }

  private track<T>(promise: Promise<T>): void {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
  }

  private markOpen(job: string, group: string): void {
    const m = member(job, group);
    if (this.marked.has(m)) return;
    this.marked.add(m);
    this.track(
      this.deps.redis
        .multi()
        .sadd(this.keys.openGroups, m)
        .set(this.keys.opened(group), String(Date.now()), 'EX', KEEP_SEC, 'NX')
        .exec()
        .catch((err: unknown) => {
          this.marked.delete(m);
          this.log(`could not mark group ${group} open: ${err instanceof Error ? err.message : String(err)}`);
        })
    );
  }

  private schedule(job: string, group: string): void {
    const m = member(job, group);
    if (this.closed || this.timers.has(m)) return;
    const timer = setTimeout(() => {
      this.timers.delete(m);
      this.track(
        this.check(job, group).catch((err: unknown) => {
          this.log(`could not check whether group ${group} of ${job} is done: ${err instanceof Error ? err.message : String(err)}`);
        })
      );
    }, this.deps.debounceMs ?? 500);
    this.timers.set(m, timer);
  }

  private async check(job: string, group: string): Promise<void> {
    const redis = this.deps.redis;
    const m = member(job, group);
    let rows: IStatusRow[];
    try {
      rows = await this.deps.status(job, group);
    } catch (err) {
      if ((err as { name?: string }).name === 'NotFoundError') {
        await redis.srem(this.keys.openGroups, m); // the group is gone
        return;
      }
      throw err;
    }
    if (rows.length === 0 || rows.some((r) => isActiveState(r.status))) return;
    const round = createHash('sha256')
      .update(rows.map((r) => r.task_id).join(','))
      .digest('hex')
      .slice(0, 16);
    const [opened, notifyJson] = await Promise.all([redis.get(this.keys.opened(group)), redis.get(this.keys.notify(group))]);
    const now = Date.now();
    const failed = rows.filter((r) => r.run_status !== 'OK');
    const event: IGroupDoneEvent = {
      job,
      task_group: group,
      round,
      count: rows.length,
      counts: { OK: rows.length - failed.length, ERROR: failed.length },
      duration: opened ? Math.max(0, (now - Number(opened)) / 1000) : Math.max(0, ...rows.map((r) => r.duration ?? 0)),
      failed: failed.slice(0, MAX_FAILED_NAMES).map((r) => r.name),
      ts: new Date(now).toISOString()
    };
    const notify = notifyJson ? (JSON.parse(notifyJson) as IMapNotify) : null;
    // Which JupyterLab started the map: only routes its notification there (see schemas/origin.ts).
    if (notify?.origin) event.origin = notify.origin;
    const announcement: IAnnouncement = { event, webhook: notify?.webhook ?? null };
    // The one atomic step: whoever sets the done key of this round also queues its announcement.
    const k = this.keys;
    await withAnnounceCommands(redis).nbgridClaimAnnouncement(
      k.done(group, round), k.announceOutbox, k.opened(group), k.openGroups, event.ts, KEEP_SEC, JSON.stringify(announcement), m
    );
    this.marked.delete(m);
  }
}

function member(job: string, group: string): string {
  return `${job}\t${group}`;
}
