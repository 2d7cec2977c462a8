/**
 * Revoked task ids kept in Redis, so a worker started after a revoke (or one that missed the
 * pidbox broadcast) still skips the task. Celery keeps revokes in worker memory only; Python
 * workers do not read this registry (they get the broadcast).
 *
 * Entries expire. The registry is a zset `task id → revoked until (unix ms)`, trimmed on every
 * write and expiring as a key with its last entry ({@link RevokedRegistry.add}, `revoke-1.lua`).
 *
 * How long an entry lives ({@link defaultRevokeExpires}): a revoked task can still be delivered
 * (1) while its message waits on its queue, (2) when a worker that held it unacked dies and the
 * visibility-timeout sweep restores it, (3) as a retry with a countdown. The REVOKED result lives
 * `result_expires` seconds; after that Celery itself no longer knows the task (its state reads
 * PENDING), so that is the horizon of a revoke too. One visibility timeout is added on top, as a
 * message popped just before the revoke can reappear on its queue up to that much later. A message
 * still queued past this horizon may run: the same as Celery, whose workers forget revokes after
 * `CELERY_WORKER_REVOKE_EXPIRES` (3 h); give tasks an `expires` when that matters.
 *
 * Earlier versions kept a plain set `nbgrid:revoked` without expiry; it is no longer read and
 * can be deleted.
 */
import type Redis from 'ioredis';
import type { CeleryKeys } from './keys';
import { withCommands, type ICeleryCommands } from './scripts';

/** Seconds a revoke is remembered for a given result expiry and visibility timeout (see the module comment). */
export function defaultRevokeExpires(resultExpires: number, visibilityTimeout: number): number {
  return resultExpires + visibilityTimeout;
}

export class RevokedRegistry {
  private readonly redis: Redis & ICeleryCommands;

  /** @param expires seconds an entry lives. */
  constructor(redis: Redis, private readonly keys: CeleryKeys, readonly expires: number) {
    this.redis = withCommands(redis);
  }

  /** Remember `taskIds` as revoked for {@link expires} seconds from now. */
  async add(taskIds: string[], now = Date.now()): Promise<void> {
    if (taskIds.length === 0) return;
    await this.redis.celeryRevoke(this.keys.revoked, now, Math.ceil(now + this.expires * 1000), ...taskIds);
  }

  /** True while `taskId` is revoked. */
  async has(taskId: string, now = Date.now()): Promise<boolean> {
    const until = await this.redis.zscore(this.keys.revoked, taskId);
    return until !== null && Number(until) > now;
  }
}
