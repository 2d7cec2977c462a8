/**
 * Announces a map (or a restart of it) once every task of its group is final: a `group-done`
 * event on Redis (every API service relays it to its streams) and the map's webhook POST.
 *
 * Exactly once, with any number of API services and across their restarts, by an atomic keyed
 * transition: `SET nbgrid:done:<group>:<round> NX`, where the round is a digest of the group's
 * current task ids (a restart gives the restarted tasks new ids, so a new round). Whoever sets the
 * key announces; everyone else sees it set. Groups with tasks queued or running since their last
 * announcement are kept in a Redis set, so a service that starts checks the groups whose last task
 * ended while no service was listening. (A service that dies between setting the key and
 * publishing, a window of milliseconds, loses that announcement: at most once, never twice.)
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { ITaskEvent } from '../domain/ports';
import { isActiveState } from '../domain/queue-states';
import type { IStatusRow } from '../domain/types';
import type { IGroupDoneEvent, INotify } from '../schemas/progress';
import { ProgressKeys } from './keys';
import { postWebhook, type IWebhookOptions } from './webhook-sender';

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
  webhook?: IWebhookOptions;
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

  /** Stops checking; waits for checks and webhook POSTs in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Resolves when every check and webhook POST started so far has ended (for tests). */
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
    // The one atomic step: whoever sets the key announces this round.
    const claimed = await redis.set(this.keys.done(group, round), new Date().toISOString(), 'EX', KEEP_SEC, 'NX');
    if (claimed !== 'OK') {
      await redis.srem(this.keys.openGroups, m);
      return;
    }
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
    await redis.multi().del(this.keys.opened(group)).srem(this.keys.openGroups, m).publish(this.keys.doneChannel, JSON.stringify(event)).exec();
    this.marked.delete(m);
    const notify = notifyJson ? (JSON.parse(notifyJson) as INotify) : null;
    if (notify?.webhook) {
      const outcome = await postWebhook(notify.webhook, { event: 'group-done', ...event }, { log: this.log, ...this.deps.webhook });
      if (!outcome.delivered) this.log(`group ${group} of ${job}: webhook not delivered (${outcome.attempts} attempts, last status ${outcome.status ?? 'none'})`);
    }
  }
}

function member(job: string, group: string): string {
  return `${job}\t${group}`;
}
