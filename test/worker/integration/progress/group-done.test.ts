/**
 * A finished map is announced exactly once: two API services on one Redis and MongoDB both watch
 * its tasks end, one of them sets `nbgrid:done:<group>:<round>` and announces (`event: group-done`
 * on both services' streams, one webhook POST, retried after a 500, without the service token);
 * a map whose last task ends while no service runs is announced by the next service to start.
 */
import Redis from 'ioredis';
import type { IGroupDoneEvent } from '../../../../worker/src/schemas';
import { TaskEventBus } from '../../../../worker/src/queue';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { SseClient } from './sse-client';
import { startProgressStack, startWebhookServer, TOKEN, waitFor, type IProgressStack, type IServiceUnderTest } from './stack';

jest.setTimeout(240_000);

let stack: IProgressStack;
let a: IServiceUnderTest;
let b: IServiceUnderTest;
let sub: Redis;
const announced: IGroupDoneEvent[] = [];

beforeAll(async () => {
  stack = await startProgressStack('progress_done_test');
  [a, b] = [await stack.startService(), await stack.startService()];
  // Every announcement, whoever makes it, is one message on this channel.
  sub = new Redis(stack.redis.url);
  sub.on('message', (_channel: string, data: string) => announced.push(JSON.parse(data) as IGroupDoneEvent));
  await sub.subscribe('nbgrid:group-done');
  await a.api.put('done', notebook([PARAM_CELL, "import time\ntime.sleep(1)\nif job['param'] == 'fail': raise ValueError('failed on purpose')"]));
}, 180_000);

afterAll(async () => {
  sub?.disconnect();
  await stack?.stop();
});

const ofGroup = (group: string) => announced.filter((e) => e.task_group === group);

describe('the done announcement', () => {
  it('refuses a webhook that is not an http(s) URL before anything is stored', async () => {
    const before = await a.api.call<{ groups: unknown[] }>('GET', '/api/jobs/done/groups');
    for (const [webhook, says] of [
      ['ftp://example.org/x', 'must use http or https'],
      ['not a url', 'is not a URL'],
      ['javascript:alert(1)', 'must use http or https']
    ]) {
      const res = await a.api.call<{ message: string }>('POST', '/api/jobs/done/map', { params: [1], notify: { webhook } });
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(says);
    }
    const typo = await a.api.call<{ message: string }>('POST', '/api/jobs/done/map', { params: [1], notify: { webhok: 'http://x' } });
    expect(typo.status).toBe(400);
    const after = await a.api.call<{ groups: unknown[] }>('GET', '/api/jobs/done/groups');
    expect(after.body.groups).toHaveLength(before.body.groups.length);
  });

  it('happens once with two services, on both streams, with one webhook POST retried after a 500', async () => {
    const hook = await startWebhookServer([500]);
    const [sseA, sseB] = await Promise.all([SseClient.open(`${a.server.url}/api/events`, TOKEN), SseClient.open(`${b.server.url}/api/events?job=done`, TOKEN)]);
    try {
      const m = await b.api.map('done', { params: [1, 2, 'fail', 4], notify: { webhook: hook.url } });
      const failed = m.tasks[2].name.replace(/\.ipynb$/, '');
      for (const sse of [sseA, sseB]) {
        await sse.until((ms) => ms.some((x) => x.event === 'group-done' && x.data.task_group === m.task_group), 120_000, 'group-done');
      }
      await waitFor(() => hook.requests.length >= 2, 'the retried webhook POST', 30_000);
      // Both services saw every task end; wait until both have checked the group, then look again.
      await Promise.all([a.service.progress.watcher.idle(), b.service.progress.watcher.idle()]);
      await new Promise((r) => setTimeout(r, 1500));

      expect(ofGroup(m.task_group)).toHaveLength(1);
      const [done] = ofGroup(m.task_group);
      expect(done).toMatchObject({ job: 'done', task_group: m.task_group, count: 4, counts: { OK: 3, ERROR: 1 }, failed: [failed] });
      expect(done.duration).toBeGreaterThan(0);
      for (const sse of [sseA, sseB]) expect(sse.of('group-done', (d) => d.task_group === m.task_group)).toEqual([done]);

      expect(hook.requests).toHaveLength(2); // the 500, then the one delivered
      for (const request of hook.requests) {
        expect(request.headers.authorization).toBeUndefined();
        expect(request.headers['idempotency-key']).toBe(`${m.task_group}:${done.round}`); // the same on the retry
        expect(request.body).not.toContain(TOKEN);
        expect(request.headers['content-type']).toBe('application/json');
        expect(JSON.parse(request.body)).toEqual({ event: 'group-done', ...done });
      }

      // A restart is a new round, announced once more.
      const restarted = await a.api.call('POST', '/api/jobs/done/restart', { task_group: m.task_group });
      expect(restarted.status).toBe(200);
      await waitFor(() => ofGroup(m.task_group).length === 2, 'the second round', 120_000);
      await Promise.all([a.service.progress.watcher.idle(), b.service.progress.watcher.idle()]);
      await new Promise((r) => setTimeout(r, 1500));
      expect(ofGroup(m.task_group)).toHaveLength(2);
      expect(ofGroup(m.task_group)[1]).toMatchObject({ counts: { OK: 3, ERROR: 1 } });
      expect(ofGroup(m.task_group)[1].round).not.toBe(done.round);
      expect(hook.requests).toHaveLength(3);
    } finally {
      sseA.close();
      sseB.close();
      await hook.close();
    }
  });

  it('happens once when the last task ends while no service runs: the next service to start announces it', async () => {
    const hook = await startWebhookServer();
    await a.api.put('offline', notebook([PARAM_CELL, 'import time\ntime.sleep(3)']));
    const m = await a.api.map('offline', { params: [1, 2], notify: { webhook: hook.url } });
    // Watch the tasks end on the bus while both services are down.
    const bus = new TaskEventBus(new Redis(stack.redis.url));
    const ended = new Set<string>();
    const stopWatching = await bus.subscribe((e) => {
      if (e.task_group === m.task_group && (e.status === 'SUCCESS' || e.status === 'FAILURE')) ended.add(e.name);
    });
    await Promise.all([a.close(), b.close()]);
    try {
      await waitFor(() => ended.size === 2, 'both tasks to end', 120_000);
      expect(ofGroup(m.task_group)).toHaveLength(0);
      const [c, d] = [await stack.startService(), await stack.startService()];
      await waitFor(() => ofGroup(m.task_group).length >= 1, 'the announcement', 30_000);
      await waitFor(() => hook.requests.length >= 1, 'the webhook POST', 30_000);
      await Promise.all([c.service.progress.watcher.idle(), d.service.progress.watcher.idle()]);
      await new Promise((r) => setTimeout(r, 1500));
      expect(ofGroup(m.task_group)).toHaveLength(1);
      expect(ofGroup(m.task_group)[0]).toMatchObject({ job: 'offline', count: 2, counts: { OK: 2, ERROR: 0 }, failed: [] });
      expect(hook.requests).toHaveLength(1);
    } finally {
      await stopWatching();
      await hook.close();
    }
  });
});
