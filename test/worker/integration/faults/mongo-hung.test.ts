/**
 * MongoDB that holds its connections open but never answers (FerretDB stopped with SIGSTOP: a
 * hung server, or a paused host), then answers again (SIGCONT). The worker's MongoDB probe pings
 * with a timeout that aborts the ping and closes its connection, so unanswered pings do not stay
 * checked out (the driver's socketTimeoutMS is 0: without the abort each would wait for ever) and
 * the guard resumes the worker as soon as a ping is answered again.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InfraGuard } from '../../../../worker/src/runtime/infra-guard';
import { startMongo } from '../../../../worker/src/stack';
import { MongoConnection } from '../../../../worker/src/storage/mongo-connection';
import { sleep } from './support';

let dir: string;
let mongo: Awaited<ReturnType<typeof startMongo>>;
let conn: MongoConnection;
let pid: number;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-mongo-hung-'));
  mongo = await startMongo({ dir });
  pid = mongo.process!.pid;
  conn = await MongoConnection.connect(mongo.url);
}, 60000);

afterAll(async () => {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // gone already
  }
  await conn?.close();
  await mongo?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Ids of the connections checked out of the pool right now. */
function checkedOut(): Set<number> {
  const out = new Set<number>();
  conn.client.on('connectionCheckedOut', (e) => out.add(e.connectionId as number));
  conn.client.on('connectionCheckedIn', (e) => out.delete(e.connectionId as number));
  conn.client.on('connectionClosed', (e) => out.delete(e.connectionId as number));
  return out;
}

it('an unanswered ping is aborted in time and leaves no connection waiting; the guard pauses, and resumes once MongoDB answers', async () => {
  const out = checkedOut();
  const events: string[] = [];
  const guard = new InfraGuard({
    parts: [{ name: 'mongodb', label: 'MongoDB', probe: () => conn.ping(400) }],
    pause: (reason) => events.push(`pause ${reason}`),
    resume: () => events.push('resume'),
    intervalMs: 300,
    backoffMs: { first: 100, max: 300 },
    probeTimeoutMs: 1500
  }).start();
  try {
    await conn.ping(2000);
    process.kill(pid, 'SIGSTOP');
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      await expect(conn.ping(500)).rejects.toThrow(/MongoDB is unreachable \(no answer to a ping within 500 ms\)/);
      expect(Date.now() - t0).toBeLessThan(3000);
    }
    const deadline = Date.now() + 15000;
    while (!events.some((e) => e.startsWith('pause')) && Date.now() < deadline) await sleep(100);
    expect(events[0]).toMatch(/^pause .*no answer to a ping within 400 ms/);
    await sleep(3000); // several more probes, none answered
    // every unanswered ping gave its connection up (the one in flight at most is still out)
    expect(out.size).toBeLessThanOrEqual(1);
    process.kill(pid, 'SIGCONT');
    const back = Date.now() + 15000;
    while (!events.includes('resume') && Date.now() < back) await sleep(100);
    expect(events.filter((e) => !e.startsWith('pause'))).toEqual(['resume']);
    await conn.ping(2000);
    await sleep(500);
    expect(out.size).toBe(0);
  } finally {
    guard.close();
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone already
    }
  }
});
