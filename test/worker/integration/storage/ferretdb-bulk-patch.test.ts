/**
 * The local default's FerretDB patch for bulk writes (scripts/ferretdb/patches/bulk-writes.patch,
 * applied by scripts/bootstrap.sh): `_id: {$in}` is pushed down to SQL, `_id` beside other
 * conditions narrows the read without changing what matches, and the statements of one `update`
 * command are written together (one SQLite transaction) with the results MongoDB gives: each
 * statement sees what the ones before it wrote, an upsert in the middle and an error in the middle
 * keep the writes before them, and a command of 100 statements or more completes (unpatched it
 * waited forever for a pooled connection).
 */
import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { startFerretDb } from './ferretdb';

interface IDoc {
  _id: string;
  n: number;
  group?: string;
  flag?: boolean;
  label?: string;
}

let mongo: { url: string; stop(): Promise<void> };
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  mongo = await startFerretDb();
  client = new MongoClient(mongo.url);
  await client.connect();
  db = client.db(`bulkpatch_${randomUUID().slice(0, 8)}`);
}, 60000);

afterAll(async () => {
  await client?.close();
  await mongo?.stop();
});

const docs = (prefix: string, n: number): IDoc[] => Array.from({ length: n }, (_, i) => ({ _id: `${prefix}/${i}`, n: i }));

it('pushes `_id: {$in}` down to SQL and answers it exactly', async () => {
  const c = db.collection<IDoc>('ids');
  await c.insertMany(docs('t', 300));
  const wanted = ['t/5', 't/17', 't/299', 'missing'];
  expect((await db.command({ explain: { find: 'ids', filter: { _id: { $in: wanted } } } })).filterPushdown).toBe(true);
  expect((await c.find({ _id: { $in: wanted } }).toArray()).map((d) => d._id).sort()).toEqual(['t/17', 't/299', 't/5']);
  // Not only strings: FerretDB reads every document and filters them, with the same answer.
  expect((await db.command({ explain: { find: 'ids', filter: { _id: { $in: ['t/5', 7] } } } })).filterPushdown).toBe(false);
  expect((await c.find({ _id: { $in: ['t/5', 7] } as never }).toArray()).map((d) => d._id)).toEqual(['t/5']);
  expect(await c.countDocuments({ _id: { $in: [] } })).toBe(0);
  // deleteMany by `$in` deletes those and nothing else.
  expect((await c.deleteMany({ _id: { $in: ['t/1', 't/2', 'missing'] } })).deletedCount).toBe(2);
  expect(await c.countDocuments({})).toBe(298);
});

it('`_id` beside other conditions narrows the read but the whole filter decides', async () => {
  const c = db.collection<IDoc>('mixed');
  await c.insertMany(docs('m', 50));
  expect(await c.findOne({ _id: 'm/3', n: 3 })).toEqual({ _id: 'm/3', n: 3 });
  expect(await c.findOne({ _id: 'm/3', n: 4 })).toBeNull();
  expect((await c.find({ _id: { $in: ['m/3', 'm/4', 'm/5'] }, n: { $gte: 4 } }).toArray()).map((d) => d._id)).toEqual(['m/4', 'm/5']);
  expect((await c.updateOne({ _id: 'm/7', n: 8 }, { $set: { flag: true } })).matchedCount).toBe(0);
  expect((await c.updateOne({ _id: 'm/7', n: 7 }, { $set: { flag: true } })).modifiedCount).toBe(1);
  expect((await c.deleteOne({ _id: 'm/9', n: 10 })).deletedCount).toBe(0);
  expect(await c.countDocuments({ flag: true })).toBe(1);
});

it('writes a 500-statement update command completely (100 or more hung FerretDB unpatched)', async () => {
  const c = db.collection<IDoc>('many');
  await c.insertMany(docs('u', 500));
  const res = await c.bulkWrite(
    docs('u', 500).map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $set: { label: `L${d.n}` }, $inc: { n: 1000 } } } })),
    { ordered: false }
  );
  expect(res.matchedCount).toBe(500);
  expect(res.modifiedCount).toBe(500);
  const after = await c.find({}).toArray();
  expect(after).toHaveLength(500);
  expect(after.every((d) => d.n === Number(d._id.split('/')[1]) + 1000 && d.label === `L${d.n - 1000}`)).toBe(true);
}, 60000);

it('in one command, each statement sees the writes of the statements before it', async () => {
  const c = db.collection<IDoc>('seq');
  await c.insertMany(docs('s', 5));
  const res = await c.bulkWrite(
    [
      { updateOne: { filter: { _id: 's/0' }, update: { $inc: { n: 10 } } } },
      { updateOne: { filter: { _id: 's/1' }, update: { $set: { group: 'g' } } } },
      // the same document again: must see n = 10, not 0
      { updateOne: { filter: { _id: 's/0' }, update: { $inc: { n: 5 } } } },
      // a condition on a field an earlier statement of this command wrote
      { updateOne: { filter: { _id: 's/0', n: 15 }, update: { $set: { label: 'saw 15' } } } },
      // not pinned by `_id`: must find s/1 by the group written above
      { updateMany: { filter: { group: 'g' }, update: { $set: { flag: true } } } },
      // an upsert in the middle, then a write to what it inserted
      { updateOne: { filter: { _id: 's/new' }, update: { $set: { n: 1 } }, upsert: true } },
      { updateOne: { filter: { _id: 's/new' }, update: { $inc: { n: 1 } } } },
      { updateOne: { filter: { _id: 's/2' }, update: { $set: { label: 'last' } } } }
    ],
    { ordered: true }
  );
  expect(res.upsertedCount).toBe(1);
  expect(res.matchedCount).toBe(7);
  const byId = new Map((await c.find({}).toArray()).map((d) => [d._id, d]));
  expect(byId.get('s/0')).toEqual({ _id: 's/0', n: 15, label: 'saw 15' });
  expect(byId.get('s/1')).toEqual({ _id: 's/1', n: 1, group: 'g', flag: true });
  expect(byId.get('s/new')).toEqual({ _id: 's/new', n: 2 });
  expect(byId.get('s/2')).toEqual({ _id: 's/2', n: 2, label: 'last' });
  expect(byId.get('s/3')).toEqual({ _id: 's/3', n: 3 });
});

it('an error in the middle of a command keeps the writes of the statements before it', async () => {
  const c = db.collection<IDoc>('err');
  await c.insertMany([...docs('e', 3), { _id: 'e/text', n: 0, label: 'text' }]);
  await expect(
    c.bulkWrite(
      [
        { updateOne: { filter: { _id: 'e/0' }, update: { $set: { flag: true } } } },
        { updateOne: { filter: { _id: 'e/1' }, update: { $set: { flag: true } } } },
        // $inc of a string: the server refuses this statement
        { updateOne: { filter: { _id: 'e/text' }, update: { $inc: { label: 1 } as never } } },
        { updateOne: { filter: { _id: 'e/2' }, update: { $set: { flag: true } } } }
      ],
      { ordered: true }
    )
  ).rejects.toThrow();
  const flagged = (await c.find({ flag: true }).toArray()).map((d) => d._id).sort();
  expect(flagged).toEqual(['e/0', 'e/1']);
  expect(await c.findOne({ _id: 'e/text' })).toEqual({ _id: 'e/text', n: 0, label: 'text' });
});
