/**
 * Removes revoke entries whose time is up. The registry (`celery/revoked-registry.ts`) keeps a
 * revoked id until its message can no longer be delivered (the result expiry plus a visibility
 * timeout) and trims on each new revoke; this trims also when no revoke comes for a long time.
 */
import type Redis from 'ioredis';
import { CeleryKeys } from '../celery';

/** @returns the number of entries removed */
export async function trimRevoked(redis: Redis, now = Date.now(), keys = new CeleryKeys()): Promise<number> {
  return redis.zremrangebyscore(keys.revoked, '-inf', `(${now}`);
}
