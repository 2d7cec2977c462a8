/**
 * nbgrid's Redis names for live progress and done announcements, in one place. None of them is a
 * Celery name: Python Celery, Flower and `celery events` never see them.
 */

/** Names under one key prefix (the broker's `global_keyprefix`, '' by default). */
export class ProgressKeys {
  constructor(readonly prefix: string = '') {}

  /** Pub/sub channel of `IProgressEvent` JSON. */
  get progressChannel(): string {
    return `${this.prefix}nbgrid:progress`;
  }

  /** Pub/sub channel of `IGroupDoneEvent` JSON. */
  get doneChannel(): string {
    return `${this.prefix}nbgrid:group-done`;
  }

  /** Sorted set of the task names reporting progress, scored by the time of their last update (ms). */
  get runningIndex(): string {
    return `${this.prefix}nbgrid:progress:running`;
  }

  /** A task's latest `IProgressEvent` JSON (expires when its worker stops reporting). */
  snapshot(taskName: string): string {
    return `${this.prefix}nbgrid:progress:task:${taskName}`;
  }

  /** A task's notebook as executed so far (JSON, bounded). */
  partial(taskName: string): string {
    return `${this.prefix}nbgrid:partial:${taskName}`;
  }

  /** The Celery task id of the run whose notebook `partial(taskName)` holds (written with it, same TTL). */
  partialTaskId(taskName: string): string {
    return `${this.prefix}nbgrid:partial-of:${taskName}`;
  }

  /** Set once (SET NX) when a round of a group is announced done. */
  done(taskGroup: string, round: string): string {
    return `${this.prefix}nbgrid:done:${taskGroup}:${round}`;
  }

  /** Set of `<job>\t<group>` with tasks not yet final since the last announcement (survives a service restart). */
  get openGroups(): string {
    return `${this.prefix}nbgrid:done:open`;
  }

  /** When the group's current round was opened (ms), for the announced duration. */
  opened(taskGroup: string): string {
    return `${this.prefix}nbgrid:done:opened:${taskGroup}`;
  }

  /** A group's `notify` JSON, set by its map. */
  notify(taskGroup: string): string {
    return `${this.prefix}nbgrid:notify:${taskGroup}`;
  }

  /** Stream of claimed announcements not yet delivered (`{event, webhook}` JSON), read by every API service's consumer group. */
  get announceOutbox(): string {
    return `${this.prefix}nbgrid:announce:outbox`;
  }

  /** Set once (in the same step as the PUBLISH) when a round's `group-done` event was published. */
  published(taskGroup: string, round: string): string {
    return `${this.prefix}nbgrid:done:published:${taskGroup}:${round}`;
  }
}
