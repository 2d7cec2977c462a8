/**
 * Mutual exclusion of writers of one task's run history, by unique `_id` inserts.
 *
 * Why: FerretDB v1 (SQLite) evaluates the filter of `findOneAndUpdate`/`updateOne` and writes the
 * document in separate steps, so concurrent conditional updates with the same filter can all
 * match (measured: 4 of 4 matched `{n: 0}` → `{n: 1}`), and a compare-and-swap on `runs_total`
 * alone would lose runs. An insert of an existing `_id` fails atomically on MongoDB and on
 * FerretDB alike, so the writer that inserts `<task>#<n>` is the only one writing history slot n.
 * It removes the claim after its write; a claim older than `ttlMs` (its writer died) is taken over.
 */
import type { Db } from 'mongodb';
import { isDuplicateKey } from './blob-store';
import { Collections } from './collections';
import type { MongoConnection } from './mongo-connection';

interface IClaimDoc {
  _id: string;
  at: Date;
}

export class HistoryClaims {
  constructor(
    private readonly conn: MongoConnection,
    /** Age after which a claim counts as abandoned. @defaultValue 60000 */
    private readonly ttlMs = 60000
  ) {}

  private claims(db: Db) {
    return db.collection<IClaimDoc>(Collections.historyClaims);
  }

  /** Claim slot `slot` of `task`'s history; false when another writer holds it. */
  async take(task: string, slot: number): Promise<boolean> {
    const _id = `${task}#${slot}`;
    if (await this.insert(_id)) return true;
    const stale = await this.conn.run((db) => this.claims(db).deleteOne({ _id, at: { $lt: new Date(Date.now() - this.ttlMs) } }));
    return stale.deletedCount > 0 && this.insert(_id);
  }

  /** Give the slot's claim up (after the write, whether it matched or not). */
  async release(task: string, slot: number): Promise<void> {
    await this.conn.run((db) => this.claims(db).deleteOne({ _id: `${task}#${slot}` }));
  }

  private async insert(_id: string): Promise<boolean> {
    try {
      await this.conn.run((db) => this.claims(db).insertOne({ _id, at: new Date() }));
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }
}
