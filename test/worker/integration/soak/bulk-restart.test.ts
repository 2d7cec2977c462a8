/**
 * Found by `make soak`: restart() of a map with 100 or more unfinished tasks sent one `update`
 * command of that many statements, which FerretDB v1 never answers (its SQLite pool of 100
 * connections is used up by the command itself) — and every later command hung behind it, so the
 * whole stack stopped. A restart of 250 tasks must finish, and the database keep answering.
 */
import { randomUUID } from 'node:crypto';
import { encodeJson } from '../../../../worker/src/domain/json-bytes';
import { NbgridStore } from '../../../../worker/src/storage/nbgrid-store';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { startFerretDb } from '../storage/ferretdb';

let mongo: { url: string; stop(): Promise<void> };
let store: NbgridStore;

beforeAll(async () => {
  mongo = await startFerretDb();
  store = await NbgridStore.open(mongo.url, { dbName: `soak_${randomUUID().slice(0, 8)}` });
});

afterAll(async () => {
  await store?.close();
  await mongo?.stop();
});

const within = <T>(ms: number, p: Promise<T>, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms))]);

it('restarts 250 tasks at once on FerretDB, and FerretDB keeps answering', async () => {
  const nb = await store.notebooks.put('soak-bulk', notebook([PARAM_CELL, "job['result'] = job['param']"]));
  const params = Array.from({ length: 250 }, (_, i) => encodeJson(i));
  const map = await store.tasks.createMap({ job: 'soak-bulk', require: 'default', cell_timeout: null, main_sha256: nb.sha256, params });
  await store.tasks.materialize(map.task_group);
  const restarts = map.tasks.map((t) => ({ name: t.name, task_id: randomUUID(), attempt: t.attempt + 1, task_group: map.task_group, prev_task_id: t.task_id, unless_ok: false }));
  await within(30000, store.tasks.restartTasks(restarts), 'restartTasks of 250');
  const after = await within(30000, store.tasks.summaries('soak-bulk', map.task_group), 'summaries after the restart');
  expect(after.map((t) => t.task_id)).toEqual(restarts.map((r) => r.task_id));
  await expect(within(10000, store.ping(), 'ping')).resolves.toBeUndefined();
}, 90000);
