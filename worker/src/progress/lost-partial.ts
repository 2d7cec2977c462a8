/**
 * The partial notebook a killed run left in Redis, read to record it as that run's result
 * notebook: by the worker that picks up the redelivered message, or by the API service's
 * reconciler when the message is gone. Only the run of `taskId` may take it (the key
 * `partialTaskId` written with the partial says whose it is).
 */
import type Redis from 'ioredis';
import type { ProgressKeys } from './keys';

/** The notebook so far of the run of `taskId` on `taskName`, or null (none kept, expired, another run's, unreadable). */
export async function readLostPartial(redis: Redis, keys: ProgressKeys, taskName: string, taskId: string): Promise<Record<string, unknown> | null> {
  const [json, owner] = await redis.mget(keys.partial(taskName), keys.partialTaskId(taskName));
  if (json === null || owner !== taskId) return null;
  try {
    const notebook = JSON.parse(json) as unknown;
    return notebook && typeof notebook === 'object' && Array.isArray((notebook as { cells?: unknown }).cells) ? (notebook as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
