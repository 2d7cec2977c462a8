/**
 * `IQueueInspector` on Redis, reading what kombu's Redis transport keeps: the queue lists (every
 * priority step) and the `unacked` hash, where a delivered message stays until it is acked —
 * while it runs, while it is prefetched and while a worker holds it for its eta. Read-only.
 */
import type Redis from 'ioredis';
import { CeleryKeys } from '../celery/keys';
import type { IQueueInspector } from '../domain/queue-inspector';

/** Options of {@link RedisQueueInspector}. */
export interface IRedisQueueInspectorOptions {
  /** Key names (kombu's `global_keyprefix`). @defaultValue `new CeleryKeys()` */
  keys?: CeleryKeys;
  /** Messages read per LRANGE / HSCAN step. @defaultValue 1000 */
  pageSize?: number;
}

export class RedisQueueInspector implements IQueueInspector {
  private readonly keys: CeleryKeys;
  private readonly pageSize: number;

  constructor(
    private readonly redis: Redis,
    options: IRedisQueueInspectorOptions = {}
  ) {
    this.keys = options.keys ?? new CeleryKeys();
    this.pageSize = options.pageSize ?? 1000;
  }

  async liveMessageIds(queues: readonly string[]): Promise<Set<string>> {
    const ids = new Set<string>();
    // Producers LPUSH and consumers RPOP, so paging from the head can show a message twice while
    // the list moves, but never skips one that stays in it.
    for (const key of this.keys.brpopKeys([...new Set(queues)])) {
      for (let start = 0; ; start += this.pageSize) {
        const page = await this.redis.lrange(key, start, start + this.pageSize - 1);
        for (const raw of page) addId(ids, envelopeId(raw));
        if (page.length < this.pageSize) break;
      }
    }
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.unacked, cursor, 'COUNT', this.pageSize);
      cursor = next;
      for (let i = 1; i < flat.length; i += 2) addId(ids, unackedId(flat[i]));
    } while (cursor !== '0');
    return ids;
  }

  async finalResults(taskIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (taskIds.length === 0) return out;
    const values = await this.redis.mget(...taskIds.map((id) => CeleryKeys.taskMeta(id)));
    taskIds.forEach((id, i) => {
      const text = resultText(values[i]);
      if (text) out.set(id, text);
    });
    return out;
  }
}

function addId(ids: Set<string>, id: string | null): void {
  if (id) ids.add(id);
}

/** `headers.id` of a protocol v2 envelope (the task id), or null for anything else. */
function envelopeId(raw: string): string | null {
  try {
    const env = JSON.parse(raw) as { headers?: { id?: unknown } };
    return typeof env?.headers?.id === 'string' ? env.headers.id : null;
  } catch {
    return null;
  }
}

/** The task id of an `unacked` entry: `[envelope, exchange, routing_key]`. */
function unackedId(stored: string): string | null {
  try {
    const [env] = JSON.parse(stored) as [{ headers?: { id?: unknown } }];
    return typeof env?.headers?.id === 'string' ? env.headers.id : null;
  } catch {
    return null;
  }
}

const FINAL = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

/** `FAILURE: RuntimeError: ...` for a final Celery result, else null. */
function resultText(value: string | null): string | null {
  if (!value) return null;
  try {
    const meta = JSON.parse(value) as { status?: unknown; result?: { exc_type?: unknown; exc_message?: unknown } | unknown };
    if (typeof meta.status !== 'string' || !FINAL.has(meta.status)) return null;
    const res = meta.result as { exc_type?: unknown; exc_message?: unknown } | null;
    if (meta.status === 'SUCCESS' || !res || typeof res !== 'object') return meta.status;
    const message = Array.isArray(res.exc_message) ? res.exc_message.map(String).join(' ') : String(res.exc_message ?? '');
    return `${meta.status}: ${String(res.exc_type ?? 'Error')}: ${message.slice(0, 2000)}`;
  } catch {
    return null;
  }
}
