/**
 * The API service's live progress in one object: it relays progress updates and group-done
 * announcements from Redis to the streams of this process, reads snapshots and partial notebooks,
 * keeps maps' `notify`, watches task events for finished maps (see GroupDoneWatcher) and delivers
 * their announcements from the Redis outbox (see AnnounceOutbox).
 */
import type Redis from 'ioredis';
import type { ITaskEvent } from '../domain/ports';
import type { IProgressSource } from '../domain/progress-source';
import type { IStatusRow } from '../domain/types';
import { EventFanout } from '../runtime/event-fanout';
import type { IMapNotify } from '../domain/progress-source';
import type { IGroupDoneEvent, IProgressEvent } from '../schemas/progress';
import { AnnounceOutbox, type IAnnounceOutboxOptions } from './announce-outbox';
import { GroupDoneWatcher } from './group-done-watcher';
import { ProgressKeys } from './keys';
import { subscribeProgress } from './progress-channel';
import { ProgressStore } from './progress-store';
import type { IWebhookOptions } from './webhook-sender';

/** Seconds a map's notify settings are kept. */
const NOTIFY_KEEP_SEC = 30 * 24 * 3600;

export interface IProgressServiceOptions {
  keys?: ProgressKeys;
  /** The group's status rows (`JobService.status`). */
  status: (job: string, taskGroup: string) => Promise<IStatusRow[]>;
  /** Milliseconds between a final task event and the check of its group. @defaultValue 500 */
  doneDebounceMs?: number;
  webhook?: IWebhookOptions;
  log?: (line: string) => void;
  /** Lease and polling of the announcement outbox (and a test hook). */
  announce?: IAnnounceOutboxOptions;
}

export class ProgressService implements IProgressSource {
  readonly watcher: GroupDoneWatcher;
  readonly outbox: AnnounceOutbox;
  private readonly keys: ProgressKeys;
  private readonly store: ProgressStore;
  private readonly progressFanout = new EventFanout<IProgressEvent>();
  private readonly doneFanout = new EventFanout<IGroupDoneEvent>();
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(
    private readonly redis: Redis,
    options: IProgressServiceOptions
  ) {
    this.keys = options.keys ?? new ProgressKeys();
    this.store = new ProgressStore(redis, this.keys);
    this.watcher = new GroupDoneWatcher({
      redis,
      keys: this.keys,
      status: options.status,
      debounceMs: options.doneDebounceMs,
      log: options.log
    });
    this.outbox = new AnnounceOutbox({ ...options.announce, redis, keys: this.keys, webhook: options.webhook, log: options.log });
    this.doneFanout.subscribe(this.watcher.onGroupDone);
  }

  async start(): Promise<void> {
    this.unsubscribe = await subscribeProgress(this.redis, { progress: this.progressFanout.dispatch, groupDone: this.doneFanout.dispatch }, this.keys);
    await this.watcher.start();
    await this.outbox.start();
  }

  /** Feed every task event of the bus here. */
  readonly onTaskEvent = (event: ITaskEvent): void => this.watcher.onTaskEvent(event);

  running(job?: string): Promise<IProgressEvent[]> {
    return this.store.running(job);
  }

  partial(taskName: string): Promise<string | null> {
    return this.store.partial(taskName);
  }

  subscribeProgress(listener: (event: IProgressEvent) => void): () => void {
    return this.progressFanout.subscribe(listener);
  }

  subscribeDone(listener: (event: IGroupDoneEvent) => void): () => void {
    return this.doneFanout.subscribe(listener);
  }

  async registerNotify(taskGroup: string, notify: IMapNotify): Promise<void> {
    await this.redis.set(this.keys.notify(taskGroup), JSON.stringify(notify), 'EX', NOTIFY_KEEP_SEC);
  }

  async close(): Promise<void> {
    await this.watcher.close();
    await this.outbox.close();
    await this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
