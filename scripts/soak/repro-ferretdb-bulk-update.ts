/**
 * Shows a FerretDB v1 (SQLite) hang found by `make soak`: one `update` command of 100 statements or
 * more never answers, and every later command waits behind it (its SQLite connection pool of 100
 * is used up by the command's own open statements; a goroutine dump shows 99 open Rows and the
 * command waiting in BeginTx for a connection). nbgrid's bulk restart writes stay below it
 * (storage/task-bulk-updates.ts). Prints one line per size; stops at the first hang.
 *
 *   node -r ./scripts/ts-hook.js scripts/soak/repro-ferretdb-bulk-update.ts
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MongoClient } from 'mongodb';
import { startMongo } from '../../worker/src/stack';

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soak-fdb-'));
  const m = await startMongo({ dir });
  const c = new MongoClient(m.url, { serverSelectionTimeoutMS: 5000 });
  try {
    await c.connect();
    const col = c.db('t').collection<{ _id: string; n: number }>('tasks');
    for (const n of [50, 99, 100, 101, 150]) {
      await col.deleteMany({});
      await col.insertMany(Array.from({ length: n }, (_, i) => ({ _id: `t${i}`, n: 0 })));
      const t0 = Date.now();
      const r = await Promise.race([
        col.bulkWrite(Array.from({ length: n }, (_, i) => ({ updateOne: { filter: { _id: `t${i}` }, update: { $set: { n: 1 } } } })), { ordered: false }).then((x) => `modified ${x.modifiedCount}`),
        new Promise<string>((r) => setTimeout(() => r('HUNG (no answer in 20 s)'), 20000))
      ]);
      console.log(`bulkWrite of ${n} updateOne: ${r} in ${Date.now() - t0} ms`);
      if (r.startsWith('HUNG')) break;
    }
  } finally {
    await c.close(true).catch(() => undefined);
    await m.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
main().then(() => process.exit(0), (e) => { console.log(e); process.exit(1); });
