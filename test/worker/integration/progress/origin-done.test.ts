/**
 * A map's `origin` (the JupyterLab that started it) on the real stack: its group-done event
 * carries it, `/api/events?origin=<id>` streams exactly the group-done events of that origin (no
 * task or progress events, nothing of other origins or of maps without one), a webhook map keeps
 * both, and a malformed origin is a 400 before anything is stored.
 */
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { SseClient } from './sse-client';
import { startProgressStack, startWebhookServer, TOKEN, waitFor, type IProgressStack, type IServiceUnderTest } from './stack';

jest.setTimeout(240_000);

let stack: IProgressStack;
let a: IServiceUnderTest;

beforeAll(async () => {
  stack = await startProgressStack('progress_origin_test');
  a = await stack.startService();
  await a.api.put('origin', notebook([PARAM_CELL, "print('hi', flush=True)\nif job['param'] == 'fail': raise ValueError('failed on purpose')"]));
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe("a map's origin", () => {
  it('is a 400 when malformed, before anything is stored', async () => {
    const before = await a.api.call<{ groups: unknown[] }>('GET', '/api/jobs/origin/groups');
    for (const origin of ['', 'has space', 'x'.repeat(65), 'a/b', 7]) {
      const res = await a.api.call<{ message: string }>('POST', '/api/jobs/origin/map', { params: [1], origin });
      expect([origin, res.status]).toEqual([origin, 400]);
      expect(res.body.message).toMatch(/origin/);
    }
    const after = await a.api.call<{ groups: unknown[] }>('GET', '/api/jobs/origin/groups');
    expect(after.body.groups).toHaveLength(before.body.groups?.length ?? 0);
    expect((await a.api.call('GET', '/api/events?origin=has%20space')).status).toBe(400);
  });

  it('is carried by the group-done event; ?origin= streams only the done events of that origin', async () => {
    const hook = await startWebhookServer();
    const [mine, other, all] = await Promise.all([
      SseClient.open(`${a.server.url}/api/events?origin=lab-one`, TOKEN),
      SseClient.open(`${a.server.url}/api/events?origin=lab-two`, TOKEN),
      SseClient.open(`${a.server.url}/api/events?job=origin`, TOKEN)
    ]);
    try {
      const none = await a.api.map('origin', { params: [1] });
      const one = await a.api.map('origin', { params: [1, 'fail'], origin: 'lab-one' });
      const hooked = await a.api.map('origin', { params: [2], origin: 'lab-one', notify: { webhook: hook.url } });
      const groups = [none.task_group, one.task_group, hooked.task_group];
      await all.until((ms) => groups.every((g) => ms.some((x) => x.event === 'group-done' && x.data.task_group === g)), 120_000, 'three group-done');
      await waitFor(() => hook.requests.length >= 1, 'the webhook POST', 30_000);
      await mine.until((ms) => ms.filter((x) => x.event === 'group-done').length >= 2, 30_000, 'two group-done of lab-one');

      const done = (g: string) => all.of('group-done', (d) => d.task_group === g)[0];
      expect(done(none.task_group).origin).toBeUndefined();
      expect(done(one.task_group)).toMatchObject({ origin: 'lab-one', counts: { OK: 1, ERROR: 1 } });
      expect(done(hooked.task_group)).toMatchObject({ origin: 'lab-one', counts: { OK: 1, ERROR: 0 } });
      // Only group-done events of lab-one: no task or progress events, nothing of the map without origin.
      expect(mine.messages.map((m) => [m.event, m.data.task_group])).toEqual(
        expect.arrayContaining([['group-done', one.task_group], ['group-done', hooked.task_group]])
      );
      expect(mine.messages).toHaveLength(2);
      expect(other.messages).toHaveLength(0);
      expect(all.of('task').length).toBeGreaterThan(0);
      expect(JSON.parse(hook.requests[0].body)).toMatchObject({ event: 'group-done', task_group: hooked.task_group });
    } finally {
      for (const s of [mine, other, all]) s.close();
      await hook.close();
    }
  });
});
