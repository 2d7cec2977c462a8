/**
 * The worker's side of live progress: for each running task, the executor's updates become an
 * `IProgressEvent` PUBLISHed on `nbgrid:progress`, kept as the task's latest snapshot (with a TTL,
 * for clients that connect later and for status rows) and, every few seconds, its notebook so far.
 * At most one write per task is in flight: updates that arrive meanwhile replace each other, so a
 * slow Redis delays progress but never queues it up, and never slows the notebook.
 */
import type Redis from 'ioredis';
import type { IExecutionProgress } from '../executor';
import type { IProgressEvent } from '../schemas/progress';
import { ProgressKeys } from './keys';
import { readLostPartial } from './lost-partial';
import { DEFAULT_MAX_PARTIAL_BYTES, partialNotebookJson } from './partial-notebook';

export interface IProgressPublisherOptions {
  /** Key names. @defaultValue `new ProgressKeys()` */
  keys?: ProgressKeys;
  /**
   * Seconds a task's snapshot outlives its last update (a worker that died stops refreshing it).
   * @defaultValue 120
   */
  snapshotTtlSec?: number;
  /**
   * Seconds a partial notebook is kept after its last update. It must outlive the redelivery of a
   * killed worker's message, which records it as that attempt's result notebook
   * ({@link ProgressPublisher.lostPartial}): see {@link partialTtlFor}. @defaultValue 3600
   */
  partialTtlSec?: number;
  /** Largest partial notebook kept, in bytes. @defaultValue 4 MiB */
  maxPartialBytes?: number;
  /** Least milliseconds between two partial notebooks of a task (also written when a cell ends). @defaultValue 2000 */
  partialIntervalMs?: number;
  log?: (line: string) => void;
}

/** What a progress event says about its task besides the progress. */
export type TaskProgressMeta = Pick<IProgressEvent, 'name' | 'job' | 'task_group' | 'job_id' | 'task_id' | 'worker'>;

/** Reports one run of one task. */
export interface ITaskProgressReporter {
  /** Give this to `executeNotebook` as `onProgress`. */
  readonly report: (progress: IExecutionProgress) => void;
  /** Waits for the last write, then removes the snapshot and the partial notebook (the result notebook is the record). */
  close(): Promise<void>;
}

interface IPending {
  event: IProgressEvent;
  partial: string | null;
}

export class ProgressPublisher {
  readonly keys: ProgressKeys;
  private readonly snapshotTtl: number;
  private readonly partialTtl: number;
  private readonly maxPartial: number;
  private readonly partialInterval: number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly redis: Redis,
    options: IProgressPublisherOptions = {}
  ) {
    this.keys = options.keys ?? new ProgressKeys();
    this.snapshotTtl = options.snapshotTtlSec ?? 120;
    this.partialTtl = options.partialTtlSec ?? 3600;
    this.maxPartial = options.maxPartialBytes ?? DEFAULT_MAX_PARTIAL_BYTES;
    this.partialInterval = options.partialIntervalMs ?? 2000;
    this.log = options.log ?? (() => undefined);
  }

  forTask(meta: TaskProgressMeta): ITaskProgressReporter {
    let seq = 0;
    let lastDone = -1;
    let lastPartialAt = 0;
    let partialCostMs = 0;
    let pending: IPending | null = null;
    let writing: Promise<void> | null = null;
    let warned = false;
    /** Whether the snapshot and the partial notebook were removed already (by the final write). */
    let cleaned = false;

    const write = async (item: IPending): Promise<void> => {
      const json = JSON.stringify(item.event);
      if (item.event.final) {
        // The run ended: its reporter is closed right after, which removes what a snapshot and a
        // partial notebook would keep. Publish the final event and remove them in one round trip.
        await this.cleanup(meta.name, this.redis.multi().publish(this.keys.progressChannel, json)).exec();
        cleaned = true;
        return;
      }
      const multi = this.redis
        .multi()
        .set(this.keys.snapshot(meta.name), json, 'EX', this.snapshotTtl)
        .zadd(this.keys.runningIndex, Date.now(), meta.name)
        .publish(this.keys.progressChannel, json);
      if (item.partial !== null) {
        multi
          .set(this.keys.partial(meta.name), item.partial, 'EX', this.partialTtl)
          .set(this.keys.partialTaskId(meta.name), meta.task_id, 'EX', this.partialTtl);
      }
      await multi.exec();
    };
    const drain = (): void => {
      if (writing || !pending) return;
      const item = pending;
      pending = null;
      writing = write(item)
        .catch((err: unknown) => {
          if (!warned) this.log(`progress of ${meta.name} not published: ${err instanceof Error ? err.message : String(err)}`);
          warned = true;
        })
        .finally(() => {
          writing = null;
          drain();
        });
    };

    const report = (progress: IExecutionProgress): void => {
      seq += 1;
      const event: IProgressEvent = {
        ...meta,
        seq,
        ts: new Date().toISOString(),
        done: progress.done,
        total: progress.total,
        cell: progress.cell,
        tail: progress.tail,
        display: progress.display,
        final: progress.final
      };
      // The notebook is live: serialize now or never. Its cost bounds how often (a tenth of the time at most).
      const now = Date.now();
      // The final update's notebook is not kept (see write): nothing to serialize.
      const due = !progress.final && (progress.done !== lastDone || now - lastPartialAt >= Math.max(this.partialInterval, 10 * partialCostMs));
      let partial = progress.final ? null : (pending?.partial ?? null);
      if (due) {
        const t0 = Date.now();
        partial = partialNotebookJson(progress.notebook, this.maxPartial);
        partialCostMs = Date.now() - t0;
        lastPartialAt = now;
        lastDone = progress.done;
      }
      pending = { event, partial };
      drain();
    };

    const close = async (): Promise<void> => {
      while (writing || pending) {
        drain();
        await writing;
      }
      if (cleaned) return;
      await this.cleanup(meta.name, this.redis.multi())
        .exec()
        .catch(() => undefined);
    };
    return { report, close };
  }

  /** Adds to `multi` the removal of a task's snapshot, partial notebook and running-index entry. */
  private cleanup(name: string, multi: ReturnType<Redis['multi']>): ReturnType<Redis['multi']> {
    return multi
      .del(this.keys.snapshot(name), this.keys.partial(name), this.keys.partialTaskId(name))
      .zrem(this.keys.runningIndex, name);
  }

  /**
   * The notebook so far of the run of `taskId` on `taskName` that never closed its reporter (its
   * worker was killed), or null when none is kept (it expired, or it is another run's). Read when
   * the redelivered message is picked up, before the new run overwrites it.
   */
  async lostPartial(taskName: string, taskId: string): Promise<Record<string, unknown> | null> {
    return readLostPartial(this.redis, this.keys, taskName, taskId);
  }

  /**
   * Forget the partial notebook of `taskName` once it was recorded as a lost attempt's result, so
   * a next attempt killed before its first update cannot hand it on as its own.
   */
  async discardPartial(taskName: string): Promise<void> {
    await this.redis.del(this.keys.partial(taskName), this.keys.partialTaskId(taskName));
  }
}

/**
 * The partial notebook's TTL for a worker whose unacked messages come back after
 * `visibilityTimeoutSec`: that plus an hour, for the restore sweep and for the redelivered message
 * to wait its turn in the queue. A message picked up later than that records the killed attempt
 * without its outputs.
 */
export function partialTtlFor(visibilityTimeoutSec: number): number {
  return Math.ceil(visibilityTimeoutSec) + 3600;
}
