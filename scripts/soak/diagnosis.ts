/**
 * Evidence for every task the soak counts against the run: where its Celery message is now
 * (a queue, kombu's unacked hash and since when, nowhere), what Celery's result backend says,
 * whether its id is revoked, its run history and the log lines naming it. Tasks are then grouped
 * by cause, so each class is reported once with its evidence.
 */
import * as fs from 'fs';
import * as path from 'path';
import Redis from 'ioredis';
import { lastRun, messageShape as shape, okRuns, type ITaskVerdict } from './accounting';

/** Where a task id's message is in Redis at the end. */
interface IMessagePlace {
  queued: string[];
  /** Seconds since the unacked message was delivered (or last refreshed by its holder). */
  unackedAge: number | null;
  meta: { status: string; detail: string } | null;
  revoked: boolean;
}

/** Seconds after which an unacked entry nobody refreshes has lost its holder (workers touch every <= 2 s). */
const ORPHAN_AGE_SECONDS = 15;

export interface IDiagnosis {
  cls: string;
  verdict: ITaskVerdict;
  evidence: string[];
}

/** One look at every queue, the unacked hash and the results of the ids in question. */
export class RedisSnapshot {
  private readonly queued = new Map<string, string[]>();
  private readonly unacked = new Map<string, number>();
  private readonly meta = new Map<string, { status: string; detail: string }>();
  private readonly revoked = new Set<string>();

  static async take(redisUrl: string, taskIds: string[]): Promise<RedisSnapshot> {
    const snap = new RedisSnapshot();
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      let cursor = '0';
      const lists: string[] = [];
      do {
        const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
        cursor = next;
        for (const k of keys) if ((await redis.type(k)) === 'list') lists.push(k);
      } while (cursor !== '0');
      for (const key of lists) {
        for (const raw of await redis.lrange(key, 0, -1)) {
          const id = idOf(raw);
          if (id) snap.queued.set(id, [...(snap.queued.get(id) ?? []), key.replace(/\x06\x16/g, '/')]);
        }
      }
      const index = new Map<string, number>();
      const scored = await redis.zrange('unacked_index', 0, -1, 'WITHSCORES');
      for (let i = 0; i < scored.length; i += 2) index.set(scored[i], Number(scored[i + 1]));
      const hash = await redis.hgetall('unacked');
      for (const [tag, stored] of Object.entries(hash)) {
        const id = idOf(stored, true);
        if (id) snap.unacked.set(id, index.has(tag) ? Date.now() / 1000 - (index.get(tag) as number) : -1);
      }
      for (const id of taskIds) {
        const m = await redis.get(`celery-task-meta-${id}`);
        if (m) {
          const parsed = JSON.parse(m) as { status: string; result?: unknown };
          snap.meta.set(id, { status: parsed.status, detail: JSON.stringify(parsed.result ?? null).slice(0, 300) });
        }
        if ((await redis.zscore('celery-revoked', id)) !== null) snap.revoked.add(id);
      }
    } finally {
      redis.disconnect();
    }
    return snap;
  }

  place(taskId: string): IMessagePlace {
    return {
      queued: this.queued.get(taskId) ?? [],
      unackedAge: this.unacked.has(taskId) ? (this.unacked.get(taskId) as number) : null,
      meta: this.meta.get(taskId) ?? null,
      revoked: this.revoked.has(taskId)
    };
  }
}

function idOf(raw: string, wrapped = false): string | null {
  try {
    const parsed = JSON.parse(raw) as unknown;
    const env = (wrapped ? (parsed as unknown[])[0] : parsed) as { headers?: { id?: string } };
    return env.headers?.id ?? null;
  } catch {
    return null;
  }
}

/** Log lines of the stack's processes that name `needles`, at most `max`. */
export class StackLogs {
  private readonly lines: string[] = [];

  constructor(runDir: string) {
    for (const f of fs.existsSync(runDir) ? fs.readdirSync(runDir) : []) {
      if (!f.endsWith('.log')) continue;
      const text = fs.readFileSync(path.join(runDir, f), 'utf8');
      for (const l of text.split('\n')) if (l) this.lines.push(`${f}: ${l.slice(0, 400)}`);
    }
  }

  grep(needles: string[], max = 4): string[] {
    return this.lines.filter((l) => needles.some((n) => n && l.includes(n))).slice(0, max);
  }
}


/** A cause for one bad task, from its history and where its message is. */
export function diagnose(v: ITaskVerdict, snap: RedisSnapshot, logs: StackLogs, deadWorkers: Set<string>): IDiagnosis {
  const t = v.task;
  if (!t) return { cls: 'task document missing', verdict: v, evidence: [] };
  const where = snap.place(t.task_id);
  const runs = t.job_runs.map((r) => `${r.status} ${r.worker} ${r.task_id?.slice(0, 8) ?? ''} a${r.attempt} ${r.ts}: ${shape(r.message)}`);
  const evidence = [
    `${v.map} ${t.name} param ${JSON.stringify(v.param)}`,
    `state ${t.state}/${t.run_status}, task id ${t.task_id}, worker ${t.worker ?? 'none'}${t.worker && deadWorkers.has(t.worker) ? ' (killed)' : ''}, updated ${t.updated}`,
    `message: ${where.queued.length ? `queued in ${where.queued.join(', ')}` : where.unackedAge !== null ? `unacked for ${where.unackedAge.toFixed(0)} s` : 'in no queue and not unacked'}` +
      `; Celery result ${where.meta ? `${where.meta.status} ${where.meta.detail}` : 'none'}${where.revoked ? '; id revoked' : ''}`,
    `runs (${t.job_runs.length}): ${runs.join(' | ') || 'none'}`,
    ...logs.grep([t.task_id, t.name]).map((l) => `log ${l}`)
  ];
  const p = v.problems;
  let cls: string;
  if (p.includes('stuck')) {
    if (where.unackedAge !== null) {
      // A live worker refreshes what it holds every 2 s at most: an entry older than that has a dead holder.
      const orphan = where.unackedAge > ORPHAN_AGE_SECONDS;
      if (t.worker && deadWorkers.has(t.worker)) cls = `stuck ${t.state}: its killed worker's message waits in kombu's unacked hash for the visibility timeout`;
      else if (orphan) cls = `stuck ${t.state}: prefetched by a worker that died (unacked entry not refreshed), waits for the visibility timeout`;
      else cls = `stuck ${t.state}: message held by a live worker at the end of the drain`;
    } else if (where.queued.length) cls = `stuck ${t.state}: message still queued at the end of the drain`;
    else if (where.meta) cls = `stuck ${t.state}: message acked as Celery ${where.meta.status}, MongoDB never told`;
    else cls = `stuck ${t.state}: message gone (no queue, not unacked, no Celery result)`;
  } else if (p.includes('duplicate')) cls = `duplicate: ${okRuns(t)} counted OK runs`;
  else if (p.includes('lost')) cls = `lost: should succeed, ended ${t.run_status} after the restart rounds: ${shape(lastRun(t)?.message ?? 'no run')}`;
  else if (p.includes('wrong-outcome')) cls = `wrong outcome: ${t.state}/${t.run_status}: ${shape(lastRun(t)?.message ?? 'no run')}`;
  else if (p.includes('result-mismatch')) cls = 'results() differs from the parameters';
  else cls = p.join(', ');
  return { cls, verdict: v, evidence };
}

/** Diagnoses grouped by class, largest first. */
export function groupByClass(diagnoses: IDiagnosis[]): [string, IDiagnosis[]][] {
  const groups = new Map<string, IDiagnosis[]>();
  for (const d of diagnoses) groups.set(d.cls, [...(groups.get(d.cls) ?? []), d]);
  return [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
}
