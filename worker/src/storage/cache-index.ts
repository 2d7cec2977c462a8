/**
 * The cache's lookup index in Redis: one hash per job (`nbgrid:cache:<job>`), field = input key,
 * value = the entry as compact JSON, plus a `_built` field once the hash holds every entry MongoDB
 * has. A map reads all its keys with one HMGET: FerretDB v1 does not push `$in` down to SQLite
 * (one `$in` of 1,000 ids scans the collection: 0.3 s with 900 entries, more as it grows), while
 * Redis answers in a millisecond. MongoDB stays the record: a hash without `_built` (new, or Redis
 * restarted) is filled from it first, and only ever added to.
 *
 * A fill must not bring back entries the clean-up removed while it ran (their runs' group is being
 * deleted: a map would make cached tasks of deleted result notebooks). So a fill takes a token
 * (`_fill`) before it reads MongoDB, and writes only while the token is still there; `remove` and
 * `drop`, which run after the clean-up deleted the entries in MongoDB, delete the token. Either the
 * fill's read of MongoDB came after that delete, or its writes are refused, or they came before
 * `remove`, which then removes what they wrote.
 */
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';

/** Fields of a job's hash read per HMGET. */
const HMGET_BATCH = 5000;

/** Entries written per fill script call. */
const FILL_BATCH = 1000;

/** KEYS[1] the job's hash; ARGV[1] the fill's token, ARGV[2] '1' on its last call, then field/value pairs. 0: the fill was cancelled. */
const FILL_SCRIPT = `
if redis.call('HGET', KEYS[1], '_fill') ~= ARGV[1] then return 0 end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], '_built', '1')
  redis.call('HDEL', KEYS[1], '_fill')
end
return 1
`;

export interface ICacheIndexOptions {
  /** @defaultValue 'nbgrid:cache:' */
  prefix?: string;
}

export class CacheIndex {
  private readonly prefix: string;

  constructor(private readonly redis: Redis, options: ICacheIndexOptions = {}) {
    this.prefix = options.prefix ?? 'nbgrid:cache:';
  }

  private key(job: string): string {
    return this.prefix + job;
  }

  /** The values of `keys` (null where none), or null when the hash is not built. */
  async get(job: string, keys: string[]): Promise<(string | null)[] | null> {
    const out: (string | null)[] = [];
    for (let i = 0; i < Math.max(1, keys.length); i += HMGET_BATCH) {
      const values = await this.redis.hmget(this.key(job), '_built', ...keys.slice(i, i + HMGET_BATCH));
      if (values[0] === null) return null;
      out.push(...values.slice(1));
    }
    return out;
  }

  /** Add one entry. */
  async put(job: string, key: string, value: string): Promise<void> {
    await this.redis.hset(this.key(job), key, value);
  }

  /** Start a fill: call before reading MongoDB's entries, and pass the token to `fill`. */
  async beginFill(job: string): Promise<string> {
    const token = randomBytes(8).toString('hex');
    await this.redis.hset(this.key(job), '_fill', token);
    return token;
  }

  /**
   * Add every entry MongoDB holds for the job (read after `beginFill`) and mark the hash built.
   * @returns false when a `remove` or `drop` cancelled the fill meanwhile (the hash is not built)
   */
  async fill(job: string, token: string, entries: [string, string][]): Promise<boolean> {
    for (let i = 0; i === 0 || i < entries.length; i += FILL_BATCH) {
      const chunk = entries.slice(i, i + FILL_BATCH);
      const last = i + FILL_BATCH >= entries.length ? '1' : '0';
      const done = await this.redis.eval(FILL_SCRIPT, 1, this.key(job), token, last, ...chunk.flatMap(([k, v]) => [k, v]));
      if (done !== 1) return false;
    }
    return true;
  }

  /** Forget the job's hash, a fill in progress included (its next lookup fills it from MongoDB). */
  async drop(job: string): Promise<void> {
    await this.redis.del(this.key(job));
  }

  /** Remove entries (their source runs were deleted), and cancel a fill that may have read them. */
  async remove(job: string, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += HMGET_BATCH) await this.redis.hdel(this.key(job), '_fill', ...keys.slice(i, i + HMGET_BATCH));
  }
}
