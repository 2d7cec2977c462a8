/**
 * Updates of many tasks at once (restart, cancel), as fast as FerretDB v1 on SQLite allows. Each
 * chunk of tasks takes the tasks' per-task locks (TaskLocks, the writers of task-runs.ts take the
 * same ones), reads the chunk with one `{_id: {$in}}` query, decides under the lock, and writes by
 * `_id` alone in bulk writes of {@link BULK_WRITE_BATCH}: atomic with every locked per-task write,
 * O(tasks) however many other tasks are stored. The local default's FerretDB is patched
 * (scripts/ferretdb/patches/) to push `_id: {$in}` down to SQL and to write the statements of one
 * `update` command in one SQLite transaction: unpatched, it reads every task document for an
 * `$in` and commits each document apart. Each written task's status row is put in the group's
 * status index from the document as read under the lock plus the update (its revision + 1),
 * so a status read after a bulk update needs no rebuild from MongoDB.
 */
import { randomUUID } from 'node:crypto';
import type { AnyBulkWriteOperation, Db, UpdateFilter } from 'mongodb';
import type { IGroupRestart, ITaskRestart } from '../domain/task-repository';
import { ACTIVE_STATES, type ITaskSummary } from '../domain/task-state';
import type { QueueState } from '../domain/types';
import { taskName } from '../notebooks/task-names';
import { activityChange, type ActiveTasks, type IActiveEntry } from './active-tasks';
import { Collections } from './collections';
import { toTaskSummary, type ITaskDoc, type ITaskSummaryDoc } from './documents';
import type { IndexedStatus } from './indexed-status';
import type { MongoConnection } from './mongo-connection';
import type { TaskGroups } from './task-groups';
import { TaskLocks } from './task-locks';

/**
 * Statements per bulk write: one SQLite transaction each on the patched FerretDB (2,000 updates
 * cost its CPU 0.78 s in commands of 20, 0.38 s in commands of 100, 0.37 s of 500). Unpatched,
 * FerretDB v1 keeps one pooled SQLite connection per statement of an `update` command until the
 * command ends, out of 100, and a command of 100 statements or more hangs it (seen in `make soak`;
 * `scripts/soak/repro-ferretdb-bulk-update.ts`): below 100, a stale binary is slow, not stuck.
 */
export const BULK_WRITE_BATCH = 90;

/** Tasks per `updateMany` of one update by `_id: {$in}` (a lock chunk's worth). */
const SAME_UPDATE_BATCH = 500;

/**
 * Tasks locked at a time: a worker writing one of them waits at most one chunk's reads and writes
 * (well under a second), far below the locks' time to live.
 */
const LOCK_CHUNK = 500;

/** A decision for one task, as read under its lock: the update to make, or null to leave it. */
type Decide = (doc: ITaskSummaryDoc) => UpdateFilter<ITaskDoc> | null;


export class TaskBulkUpdates {
  private readonly locks: TaskLocks;

  constructor(
    private readonly conn: MongoConnection,
    private readonly groups: TaskGroups,
    private readonly status: IndexedStatus,
    private readonly active: ActiveTasks
  ) {
    this.locks = new TaskLocks(conn);
  }

  private tasks(db: Db) {
    return db.collection<ITaskDoc>(Collections.tasks);
  }

  /**
   * Give tasks new Celery ids and attempts and set them PENDING again, each only if it still has
   * `prev_task_id` (and, with `unless_ok`, no OK run) when read under its lock: a run of the old
   * id that finished OK meanwhile, or another restart, wins (seen in make soak: a restart racing
   * a finishing run gave the task a second counted OK run). Returns the names of the tasks written.
   */
  async restartTasks(restarts: ITaskRestart[]): Promise<string[]> {
    if (restarts.length === 0) return [];
    const now = new Date().toISOString();
    const byName = new Map(restarts.map((r) => [r.name, r]));
    const written = await this.updateLocked([...byName.keys()], (doc) => {
      const r = byName.get(doc._id);
      if (!r || doc.task_id !== r.prev_task_id || (r.unless_ok && doc.run_status === 'OK')) return null;
      return {
        $set: {
          task_id: r.task_id,
          attempt: r.attempt,
          state: 'PENDING' as QueueState,
          run_status: 'unknown' as const,
          worker: null,
          updated: now,
          ...(r.main_sha256 ? { main_sha256: r.main_sha256 } : {})
        }
      };
    });
    return written.map((d) => d._id);
  }

  /**
   * Restart the tasks of a group that have no OK run (`reset`: every task): each, read by `_id`
   * under its lock, gets a new Celery id and the next attempt and is set PENDING again. Decided
   * on the task as stored when written, so a run that finished OK meanwhile wins (unless `reset`);
   * no query over the group (the names follow from its count). Returns each task written, as it
   * was before, with its new id and attempt.
   */
  async restartGroup(job: string, taskGroup: string, options: { reset: boolean; main_sha256?: string }): Promise<IGroupRestart[]> {
    await this.groups.ensureMaterialized(job, taskGroup);
    const group = await this.groups.findGroup(job, taskGroup);
    if (!group) return [];
    const names = Array.from({ length: group.count }, (_, i) => taskName(job, taskGroup, i));
    const now = new Date().toISOString();
    const fresh = new Map<string, { task_id: string; attempt: number }>();
    const written = await this.updateLocked(names, (doc) => {
      if (doc.job !== job || doc.task_group !== taskGroup || (!options.reset && doc.run_status === 'OK')) return null;
      const next = { task_id: randomUUID(), attempt: doc.attempt + 1 };
      fresh.set(doc._id, next);
      return {
        $set: {
          ...next,
          state: 'PENDING' as QueueState,
          run_status: 'unknown' as const,
          worker: null,
          updated: now,
          ...(options.main_sha256 ? { main_sha256: options.main_sha256 } : {})
        }
      };
    });
    return written.map((d) => ({ ...fresh.get(d._id)!, prev: toTaskSummary(d) }));
  }

  /**
   * Set the tasks of a group that are still queued or running to REVOKED; returns them as they
   * were before. The task names follow from the group's count (`tasks/<job>/<group>-<i>`): no
   * query over the group, which FerretDB would answer by reading every task document.
   */
  async revokeGroup(job: string, taskGroup: string): Promise<ITaskSummary[]> {
    await this.groups.ensureMaterialized(job, taskGroup);
    const group = await this.groups.findGroup(job, taskGroup);
    if (!group) return [];
    const names = Array.from({ length: group.count }, (_, i) => taskName(job, taskGroup, i));
    const now = new Date().toISOString();
    const revoked = await this.updateLocked(names, (doc) =>
      doc.job === job && doc.task_group === taskGroup && ACTIVE_STATES.includes(doc.state) ? { $set: { state: 'REVOKED', updated: now } } : null
    );
    return revoked.map(toTaskSummary);
  }

  /**
   * Under the per-task lock of each task in `names`, read it by `_id`, `decide`, and write by `_id`
   * (its revision goes up). Returns the written tasks as read before the write. Chunks of
   * {@link LOCK_CHUNK}, pipelined: the next chunk's locks are taken, then its tasks read while this
   * chunk's writes go on (FerretDB reads in parallel with SQLite's one writer; before the patch, the
   * profile of a 10,000-task restart had FerretDB's CPU in reads by `_id` 32 %, updates 26 %,
   * deletes of active entries 10 %). Tasks another writer holds are done one by one after their
   * chunk, waiting for their lock.
   */
  private async updateLocked(names: string[], decide: Decide): Promise<ITaskSummaryDoc[]> {
    const written: ITaskSummaryDoc[] = [];
    const ended: string[] = [];
    const chunks: string[][] = [];
    for (let i = 0; i < names.length; i += LOCK_CHUNK) chunks.push(names.slice(i, i + LOCK_CHUNK));
    // The previous bulk update's entry deletes first: they would be a second writer.
    await this.active.settled();
    let taken = chunks.length > 0 ? await this.locks.takeMany(chunks[0]) : [];
    let docs = await this.read(taken).catch(async (err: unknown) => {
      await this.locks.releaseMany(taken);
      throw err;
    });
    for (let c = 0; c < chunks.length; c++) {
      const current = taken;
      let nextTaken: string[] = [];
      let nextDocs: Promise<ITaskSummaryDoc[]> = Promise.resolve([]);
      try {
        // The next chunk's locks before this chunk's writes, its reads alongside them: one writer
        // at a time, since two writers in FerretDB's SQLite wait on its busy handler's sleeps.
        if (c + 1 < chunks.length) nextTaken = await this.locks.takeMany(chunks[c + 1]);
        nextDocs = this.read(nextTaken);
        written.push(...(await this.decideWrite(docs, decide, ended)));
      } catch (err) {
        await nextDocs.catch(() => undefined);
        await this.locks.releaseMany(nextTaken);
        throw err;
      } finally {
        await this.locks.releaseMany(current);
      }
      const held = new Set(current);
      try {
        for (const name of chunks[c].filter((n) => !held.has(n))) {
          written.push(...(await this.locks.with(name, async () => this.decideWrite(await this.read([name]), decide, ended))));
        }
        docs = await nextDocs;
      } catch (err) {
        await nextDocs.catch(() => undefined);
        await this.locks.releaseMany(nextTaken);
        throw err;
      }
      taken = nextTaken;
    }
    // The ended attempts' entries after every write, in the background (see ActiveTasks).
    this.active.removeLater(ended);
    return written;
  }

  /** The tasks of `names` (without parameter and result), in one query by `_id`, in the order of `names`. */
  private async read(names: string[]): Promise<ITaskSummaryDoc[]> {
    if (names.length === 0) return [];
    const docs = await this.conn.run(
      (db) => this.tasks(db).find({ _id: { $in: names } }, { projection: { param: 0, result: 0 }, batchSize: names.length }).toArray() as Promise<ITaskSummaryDoc[]>
    );
    // Queued in map order, whatever order the server answers in.
    const order = new Map(names.map((n, i) => [n, i]));
    return docs.sort((a, b) => (order.get(a._id) ?? 0) - (order.get(b._id) ?? 0));
  }

  /** Put the status rows of written documents (as the writes left them) in their groups' index. */
  private async putStatus(docs: ITaskSummaryDoc[]): Promise<void> {
    const byGroup = new Map<string, ITaskSummaryDoc[]>();
    for (const d of docs) {
      const rows = byGroup.get(d.task_group);
      if (rows) rows.push(d);
      else byGroup.set(d.task_group, [d]);
    }
    for (const [group, rows] of byGroup) await this.status.putMany(group, rows);
  }

  /**
   * Decide and write tasks read under their locks (held by the caller); the task ids of the
   * attempts the writes ended are added to `ended`.
   */
  private async decideWrite(docs: ITaskSummaryDoc[], decide: Decide, ended: string[]): Promise<ITaskSummaryDoc[]> {
    const written: ITaskSummaryDoc[] = [];
    const started: IActiveEntry[] = [];
    // Tasks that get the same update (cancel: all of them) are written by one `updateMany` of
    // their ids: FerretDB reads them in one query instead of one per statement (4,000 updates:
    // 0.51 s of its CPU instead of 1.35 s). Under the tasks' locks that is the same write.
    const byUpdate = new Map<string, { update: UpdateFilter<ITaskDoc>; after: ITaskSummaryDoc[] }>();
    for (const doc of docs) {
      const update = decide(doc);
      if (!update) continue;
      const full = { ...update, $inc: { ...(update.$inc ?? {}), rev: 1 } } as UpdateFilter<ITaskDoc>;
      const key = JSON.stringify(full);
      const same = byUpdate.get(key) ?? { update: full, after: [] };
      byUpdate.set(key, same);
      written.push(doc);
      // The document as the write leaves it: nobody else writes it while its lock is held.
      same.after.push({ ...doc, ...(update.$set as Partial<ITaskSummaryDoc>), rev: (doc.rev ?? 0) + 1 });
      const change = activityChange(doc, update.$set as Record<string, unknown> | undefined);
      if (change.add) started.push(change.add);
      if (change.remove) ended.push(change.remove);
    }
    const ops: { op: AnyBulkWriteOperation<ITaskDoc>; after: ITaskSummaryDoc[] }[] = [];
    for (const { update, after } of byUpdate.values()) {
      for (let i = 0; i < after.length; i += SAME_UPDATE_BATCH) {
        const some = after.slice(i, i + SAME_UPDATE_BATCH);
        ops.push({
          op: some.length === 1 ? { updateOne: { filter: { _id: some[0]._id }, update } } : { updateMany: { filter: { _id: { $in: some.map((d) => d._id) } }, update } },
          after: some
        });
      }
    }
    // New attempts' active entries before the writes, ended attempts' after them (active-tasks.ts).
    await this.active.add(started);
    // One batch at a time: SQLite serializes the writes anyway, and the workers' writes share
    // FerretDB's pool.
    for (let i = 0; i < ops.length; i += BULK_WRITE_BATCH) {
      const batch = ops.slice(i, i + BULK_WRITE_BATCH);
      const after = batch.flatMap((o) => o.after);
      try {
        await this.conn.run((db) => this.tasks(db).bulkWrite(batch.map((o) => o.op), { ordered: false }));
      } catch (err) {
        // Which of the batch were written is unknown: their groups' status is read from MongoDB again.
        for (const group of new Set(after.map((d) => d.task_group))) await this.status.drop(group);
        throw err;
      }
      await this.putStatus(after);
    }
    return written;
  }
}
