/**
 * The sweep's check and delete of a blob cannot be split by a writer's touch: against a real
 * FerretDB (whose conditional deletes are not atomic), the sweep is paused holding a blob's lock
 * after it found the blob old and before it deletes it, and a writer then touches or puts that
 * blob. The writer must wait for the sweep (it is still pending when the sweep goes on), and then
 * either store the blob again (a put) or be refused (a touch: the map would ask for the notebook
 * again): never succeed while the blob is gone. Inline blobs and GridFS ones (metadata + chunks).
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../../../worker/src/domain/errors';
import { sha256 } from '../../../../worker/src/domain/json-bytes';
import { BlobCollector } from '../../../../worker/src/retention/blob-collector';
import { blobLockKey } from '../../../../worker/src/storage/blob-store';
import { Collections } from '../../../../worker/src/storage/collections';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { startFerretDb } from '../storage/ferretdb';

jest.setTimeout(120000);

/** How long the paused sweep waits to see whether the writer gets through (it must not). */
const PAUSE_MS = 1500;
const INLINE_LIMIT = 64 * 1024;

let mongo: { url: string; stop(): Promise<void> };
let store: NbgridStore;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  mongo = await startFerretDb();
  store = await NbgridStore.open(mongo.url, { dbName: `gc_lock_${randomUUID().slice(0, 8)}`, inlineBlobLimit: INLINE_LIMIT });
}, 60000);

afterAll(async () => {
  await store?.close();
  await mongo?.stop();
});

/**
 * Sweep with a grace period of 1 ms (the blob, put before, is old) while `write` races it exactly
 * between the sweep's check and its delete. Returns what the writer did and whether it was still
 * waiting when the sweep went on.
 */
async function raceSweep(id: string, write: () => Promise<unknown>) {
  await sleep(5); // the blob is older than the sweep's cutoff
  let writer: Promise<{ ok: boolean; err?: unknown }> | null = null;
  let pendingWhenSweepWentOn = false;
  const collector = new BlobCollector(
    store.connection,
    1,
    Date.now,
    async () => undefined,
    async (ids) => {
      if (writer || !ids.includes(id)) return;
      let done = false;
      writer = write().then(
        () => ({ ok: true }),
        (err: unknown) => ({ ok: false, err })
      );
      void writer.then(() => (done = true));
      await Promise.race([writer, sleep(PAUSE_MS)]);
      pendingWhenSweepWentOn = !done;
    }
  );
  const report = await collector.sweep();
  expect(writer).not.toBeNull();
  const outcome = await writer!;
  return { report, outcome, pendingWhenSweepWentOn };
}

it.each([
  ['an inline blob', 1000],
  ['a GridFS blob (metadata and chunks)', 600 * 1024]
])('a put of %s between the sweep check and its delete waits, then stores it again', async (_kind, size) => {
  const bytes = Buffer.alloc(size, `put ${size} ${randomUUID()} `);
  const { sha256: id } = await store.blobs.put(bytes);
  const { report, outcome, pendingWhenSweepWentOn } = await raceSweep(id, () => store.blobs.put(bytes));
  expect(outcome).toEqual({ ok: true });
  const back = await store.blobs.get(id);
  expect(back.byteLength).toBe(size);
  expect(sha256(back)).toBe(id);
  expect(pendingWhenSweepWentOn).toBe(true);
  expect(report.blobs).toBeGreaterThanOrEqual(1); // the sweep really deleted it under the writer's nose
});

it('a touch between the sweep check and its delete waits, then is refused (never succeeds on a gone blob)', async () => {
  const bytes = Buffer.from(`touch ${randomUUID()}`);
  const { sha256: id } = await store.blobs.put(bytes);
  const { outcome, pendingWhenSweepWentOn } = await raceSweep(id, () => store.blobs.touch(id));
  // the sweep deleted the blob, so a touch that succeeded would be a reference to nothing
  await expect(store.blobs.get(id)).rejects.toBeInstanceOf(NotFoundError);
  expect(outcome.ok).toBe(false);
  expect(outcome.err).toBeInstanceOf(NotFoundError);
  expect(String(outcome.err)).toContain('put the notebook again');
  expect(pendingWhenSweepWentOn).toBe(true);
});

it('a touch before the sweep takes the lock keeps the blob', async () => {
  const bytes = Buffer.from(`kept ${randomUUID()}`);
  const { sha256: id } = await store.blobs.put(bytes);
  await sleep(5);
  const cutoffNow = Date.now();
  // the sweep's cutoff is fixed before this touch, so only the check under the lock sees it
  const collector = new BlobCollector(store.connection, 1, () => cutoffNow, async () => {
    await sleep(5);
    await store.blobs.touch(id);
  });
  await collector.sweep();
  expect((await store.blobs.get(id)).toString()).toBe(bytes.toString());
});

it("a dead writer's stale lock does not keep an unreferenced blob forever; a live one skips it", async () => {
  const stale = await store.blobs.put(Buffer.from(`stale ${randomUUID()}`));
  const live = await store.blobs.put(Buffer.from(`live ${randomUUID()}`));
  await store.connection.run((db) =>
    db.collection<{ _id: string; at: Date }>(Collections.taskLocks).insertMany([
      { _id: blobLockKey(stale.sha256), at: new Date(Date.now() - 3600_000) },
      { _id: blobLockKey(live.sha256), at: new Date() }
    ])
  );
  await sleep(5);
  await new BlobCollector(store.connection, 1).sweep();
  await expect(store.blobs.get(stale.sha256)).rejects.toBeInstanceOf(NotFoundError);
  await expect(store.blobs.get(live.sha256)).resolves.toBeInstanceOf(Buffer);
  await store.connection.run((db) => db.collection<{ _id: string }>(Collections.taskLocks).deleteOne({ _id: blobLockKey(live.sha256) }));
});
