/**
 * A claimed done announcement survives the death of the service that claimed it: the claim and the
 * outbox entry are one Redis step, and another service takes the entry over once its lease runs
 * out. Fault-injected by `AnnounceOutbox.abandon()` (the service stops as a killed process would:
 * no publish, POST, lease renewal or acknowledgement after it).
 */
import Redis from 'ioredis';
import { ANNOUNCERS_GROUP } from '../../../../worker/src/progress/announce-outbox';
import type { IGroupDoneEvent } from '../../../../worker/src/schemas';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { startProgressStack, startWebhookServer, waitFor, type IProgressStack, type IServiceUnderTest } from './stack';

jest.setTimeout(240_000);

const OUTBOX = 'nbgrid:announce:outbox';
/** Short leases so a takeover comes within seconds; renewals run every lease / 3. */
const LEASE = { leaseMs: 3000, pollMs: 200 };

let stack: IProgressStack;
let sub: Redis;
let redis: Redis;
const announced: IGroupDoneEvent[] = [];
const ofGroup = (group: string) => announced.filter((e) => e.task_group === group);

beforeAll(async () => {
  stack = await startProgressStack('progress_announce_takeover_test');
  sub = new Redis(stack.redis.url);
  sub.on('message', (_channel: string, data: string) => announced.push(JSON.parse(data) as IGroupDoneEvent));
  await sub.subscribe('nbgrid:group-done');
  redis = new Redis(stack.redis.url);
}, 180_000);

afterAll(async () => {
  sub?.disconnect();
  redis?.disconnect();
  await stack?.stop();
});

/** The outbox is empty and nothing of it is pending: every entry was acknowledged. */
async function outboxDrained(): Promise<boolean> {
  const [length, pending] = await Promise.all([redis.xlen(OUTBOX), redis.xpending(OUTBOX, ANNOUNCERS_GROUP) as Promise<[number, ...unknown[]]>]);
  return length === 0 && pending[0] === 0;
}

describe('a done announcement whose service dies', () => {
  it('is delivered once by another service when its claimer dies between the claim and the delivery', async () => {
    const hook = await startWebhookServer();
    let a: IServiceUnderTest | null = null;
    const seen: { leased?: IGroupDoneEvent } = {};
    a = await stack.startService({
      ...LEASE,
      beforeDeliver: (announcement) => {
        seen.leased = announcement.event;
        void a!.service.progress.outbox.abandon(); // dies right after winning the claim
      }
    });
    try {
      await a.api.put('claimer', notebook([PARAM_CELL, 'x = 1']));
      const m = await a.api.map('claimer', { params: [1, 2], notify: { webhook: hook.url } });
      await waitFor(() => seen.leased !== undefined, 'service A to claim and lease the announcement', 120_000);
      const leased = seen.leased!;
      expect(leased).toMatchObject({ job: 'claimer', task_group: m.task_group, counts: { OK: 2, ERROR: 0 } });
      // A is dead for announcements: well past the lease nothing was published or posted.
      await new Promise((r) => setTimeout(r, LEASE.leaseMs + 1500));
      expect(ofGroup(m.task_group)).toHaveLength(0);
      expect(hook.requests).toHaveLength(0);
      expect(await redis.xlen(OUTBOX)).toBe(1);

      const b = await stack.startService(LEASE);
      await waitFor(() => ofGroup(m.task_group).length >= 1 && hook.requests.length >= 1, 'service B to take over', 60_000);
      await waitFor(outboxDrained, 'the entry to be acknowledged', 30_000);
      await b.service.progress.outbox.idle();
      await new Promise((r) => setTimeout(r, 1500));

      expect(ofGroup(m.task_group)).toEqual([leased]);
      expect(hook.requests).toHaveLength(1);
      expect(hook.requests[0].headers['idempotency-key']).toBe(`${m.task_group}:${leased.round}`);
      expect(JSON.parse(hook.requests[0].body)).toEqual({ event: 'group-done', ...leased });
      await b.close();
    } finally {
      await a.close();
      await hook.close();
    }
  });

  it('is finished by another service when its deliverer dies in the middle of the webhook retries, published once', async () => {
    let c: IServiceUnderTest | null = null;
    // The first POST is answered 500; the service dies before its retry.
    const hook = await startWebhookServer([500], (index) => {
      if (index === 0) void c!.service.progress.outbox.abandon();
    });
    c = await stack.startService(LEASE);
    try {
      await c.api.put('retrier', notebook([PARAM_CELL, 'x = 2']));
      const m = await c.api.map('retrier', { params: [1, 2, 3], notify: { webhook: hook.url } });
      await waitFor(() => hook.requests.length >= 1, 'the first webhook POST', 120_000);
      await waitFor(() => ofGroup(m.task_group).length >= 1, 'the group-done event', 30_000);
      await new Promise((r) => setTimeout(r, LEASE.leaseMs + 1500));
      expect(hook.requests).toHaveLength(1); // the retry died with its service

      const d = await stack.startService(LEASE);
      await waitFor(() => hook.requests.length >= 2, 'service D to retry the webhook', 60_000);
      await waitFor(outboxDrained, 'the entry to be acknowledged', 30_000);
      await d.service.progress.outbox.idle();
      await new Promise((r) => setTimeout(r, 1500));

      const [done] = ofGroup(m.task_group);
      expect(ofGroup(m.task_group)).toHaveLength(1); // the takeover did not publish it again
      expect(done).toMatchObject({ job: 'retrier', count: 3, counts: { OK: 3, ERROR: 0 } });
      expect(hook.requests).toHaveLength(2); // the 500 by C, the delivered one by D
      for (const request of hook.requests) {
        expect(request.headers['idempotency-key']).toBe(`${m.task_group}:${done.round}`);
        expect(JSON.parse(request.body)).toEqual({ event: 'group-done', ...done });
      }
      await d.close();
    } finally {
      await c.close();
      await hook.close();
    }
  });
});
