/**
 * The reduce step's storage: `reduce_specs` (a map's `then`, by group), `reduce_rounds` (one
 * document per round, `_id` = `<group>:reduce:<round>`, inserted once: FerretDB v1's conditional
 * updates are not atomic across writers, a unique `_id` insert is) and the one-task group that
 * runs a round's reduce notebook. Every read and write filters by `_id`, or scans the two small
 * reduce collections.
 */
import { createHash } from 'node:crypto';
import { Binary, type Db } from 'mongodb';
import { roundId, type IReduceRound, type IReduceSpec, type IReduceStore, type IReduceTaskRef, type INewReduceTask } from '../domain/reduce';
import { taskName } from '../notebooks/task-names';
import { entryOf, type ActiveTasks } from './active-tasks';
import { isDuplicateKey } from './blob-store';
import { Collections } from './collections';
import { firstTaskId, nextSeq, taskDocOf, type ITaskDoc, type ITaskGroupDoc } from './documents';
import type { MongoConnection } from './mongo-connection';

interface ISpecDoc extends Omit<IReduceSpec, 'task_group'> {
  _id: string;
}

const ignoreDuplicate = (err: unknown): void => {
  if (!isDuplicateKey(err)) throw err;
};

export class ReduceRounds implements IReduceStore {
  constructor(
    private readonly conn: MongoConnection,
    private readonly active: ActiveTasks
  ) {}

  private specs(db: Db) {
    return db.collection<ISpecDoc>(Collections.reduceSpecs);
  }

  private roundsOf(db: Db) {
    return db.collection<IReduceRound>(Collections.reduceRounds);
  }

  async putSpec(spec: IReduceSpec): Promise<void> {
    const { task_group, ...rest } = spec;
    await this.conn.run((db) => this.specs(db).insertOne({ _id: task_group, ...rest })).catch(ignoreDuplicate);
  }

  async spec(taskGroup: string): Promise<IReduceSpec | null> {
    const doc = await this.conn.run((db) => this.specs(db).findOne({ _id: taskGroup }));
    return doc ? specOf(doc) : null;
  }

  async recentSpecs(limit: number): Promise<IReduceSpec[]> {
    const docs = await this.conn.run((db) => this.specs(db).find({}).sort({ created: -1 }).limit(limit).toArray());
    return docs.map(specOf);
  }

  async reduceTaskRef(spec: IReduceSpec, round: number): Promise<IReduceTaskRef> {
    const rid = roundId(spec.task_group, round);
    const salt = saltOf(rid);
    const ours = isReduceOf(spec, round);
    // A derived 8-hex id can (rarely) be some other map's group id: then the next derivation.
    for (let k = 0; k < 16; k++) {
      const id = createHash('sha256').update(`${rid}:${k}`).digest('hex').slice(0, 8);
      const name = taskName(spec.notebook, id, 0);
      const [group, task] = await Promise.all([
        this.conn.run((db) => db.collection<ITaskGroupDoc>(Collections.taskGroups).findOne({ _id: id }, { projection: { _id: 1 } })),
        this.conn.run((db) => db.collection<ITaskDoc>(Collections.tasks).findOne({ _id: name }, { projection: { reduce_of: 1 } }))
      ]);
      if (task ? ours(task) : !group) return { reduce_group: id, task_name: name, task_id: firstTaskId(salt, 0) };
    }
    throw new Error(`no free task group id for reduce round ${rid}`);
  }

  async createReduceTask(t: INewReduceTask): Promise<IReduceTaskRef> {
    const { spec } = t;
    const rid = roundId(spec.task_group, t.round);
    const ref = t.ref ?? (await this.reduceTaskRef(spec, t.round));
    const group: ITaskGroupDoc & { task_id_salt: string } = {
      _id: ref.reduce_group,
      job: spec.notebook,
      count: 1,
      require: t.require,
      cell_timeout: spec.cell_timeout,
      main_sha256: t.main_sha256,
      created: new Date().toISOString(),
      seq: nextSeq(),
      params: new Binary(Buffer.concat([Buffer.from('['), Buffer.from(t.param), Buffer.from(']')])),
      task_id_salt: saltOf(rid),
      // its one task document is written first: nothing is left to materialize
      materialized: true
    };
    const task: ITaskDoc = { ...taskDocOf(group, 0, t.param), reduce_of: { job: spec.job, task_group: spec.task_group, round: t.round } };
    // The active entry before the document that makes the attempt active (see active-tasks.ts):
    // a reduce task whose message is lost after it was queued is repaired like any other task.
    await this.active.add([entryOf(task)]);
    const inserted = await this.conn.run((db) => db.collection<ITaskDoc>(Collections.tasks).insertOne(task)).then(() => true, (err: unknown) => {
      ignoreDuplicate(err);
      return false;
    });
    if (!inserted) {
      // Another caller's insert of the same round (then fine), or, once in 2^32 maps, a map that
      // took the derived group id between reduceTaskRef and here.
      const found = await this.conn.run((db) => db.collection<ITaskDoc>(Collections.tasks).findOne({ _id: task._id }, { projection: { reduce_of: 1 } }));
      if (!isReduceOf(spec, t.round)(found)) throw new Error(`task ${task._id} of reduce round ${rid} belongs to another map`);
    }
    await this.conn.run((db) => db.collection<ITaskGroupDoc>(Collections.taskGroups).insertOne(group)).catch(ignoreDuplicate);
    return ref;
  }

  async claimRound(round: IReduceRound): Promise<boolean> {
    try {
      await this.conn.run((db) => this.roundsOf(db).insertOne({ ...round }));
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async claimOnce(key: string): Promise<boolean> {
    try {
      await this.conn.run((db) => db.collection<{ _id: string; created: string }>(Collections.reduceRounds).insertOne({ _id: key, created: new Date().toISOString() }));
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async markQueued(id: string): Promise<void> {
    await this.conn.run((db) => this.roundsOf(db).updateOne({ _id: id }, { $set: { queued: true } }));
  }

  async rounds(taskGroup: string): Promise<IReduceRound[]> {
    // By `_id` range: FerretDB v1 on SQLite pushes down only `_id` filters.
    const docs = await this.conn.run((db) =>
      this.roundsOf(db)
        .find({ _id: { $gte: `${taskGroup}:reduce:`, $lt: `${taskGroup}:reduce;` } })
        .toArray()
    );
    return docs.filter((d) => d.task_group === taskGroup).sort((a, b) => a.round - b.round);
  }

  async unqueued(before: string): Promise<IReduceRound[]> {
    const docs = await this.conn.run((db) => this.roundsOf(db).find({ queued: false }).toArray());
    return docs.filter((d) => d.created < before);
  }
}

/** The salt of a round's one-task group: its task's Celery id follows from group and round. */
function saltOf(rid: string): string {
  return createHash('sha256').update(`${rid}:salt`).digest('hex').slice(0, 32);
}

/** Whether a task document is the reduce task of `spec`'s round `round`. */
function isReduceOf(spec: IReduceSpec, round: number): (doc: Pick<ITaskDoc, 'reduce_of'> | null) => boolean {
  return (doc) => !!doc?.reduce_of && doc.reduce_of.job === spec.job && doc.reduce_of.task_group === spec.task_group && doc.reduce_of.round === round;
}

function specOf(doc: ISpecDoc): IReduceSpec {
  const { _id, ...rest } = doc;
  return { task_group: _id, ...rest };
}
