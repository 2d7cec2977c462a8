/**
 * Redis, MongoDB (FerretDB) and the API service each stopped in the middle of a map and started
 * again on the same port and data: no task is lost, none has two OK runs, and while MongoDB is
 * down the API answers 503 with a message and recovers by itself.
 */
import type { IRunningStack } from '../../../../worker/src/stack';
import type { TestApi } from '../../support/api';
import { isFinalState } from '../../../../worker/src/domain/queue-states';
import { usePrivateStack } from '../../support/private-stack';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { measure, Replacements, report, settle, sleep, waitTasks } from './support';

const VISIBILITY = 4;
let stack: IRunningStack;
let api: TestApi;
let replacements: Replacements;

usePrivateStack('nbgrid-restarts-', { workers: 2, visibilityTimeout: VISIBILITY, beforeStop: () => replacements?.stopAll() }, async (s) => {
  ({ stack, api } = s);
  replacements = new Replacements(stack, VISIBILITY);
  await api.put('sleepy', notebook([PARAM_CELL, "import time\ntime.sleep(job['param'])\njob['result'] = job['param']"]));
});

const PARAMS = [3, 3, 1, 1, 1, 1];

/**
 * Maps, waits until the map is under way (two tasks have started; at least one is not final yet),
 * injects `fault`, and checks the group. A slow poll may see the first two already final: that is
 * still "during the map" as long as work remains.
 */
async function mapThrough(label: string, fault: () => Promise<void>): Promise<void> {
  const m = await api.map('sleepy', { params: PARAMS });
  await waitTasks(api, 'sleepy', m.task_group, (ts) => {
    const final = ts.filter((t) => isFinalState(t.state)).length;
    const started = ts.filter((t) => t.state === 'STARTED').length;
    return started + final >= 2 && final < ts.length;
  }, 60000);
  const t0 = Date.now();
  await fault();
  const tasks = await settle(api, 'sleepy', m.task_group, 60000);
  const result = measure(label, PARAMS.length, tasks, t0);
  report(result);
  expect(result.lost).toBe(0);
  expect(result.duplicateOk).toBe(0);
  expect(tasks.map((t) => t.run_status)).toEqual(PARAMS.map(() => 'OK'));
  const results = await api.call<{ results: unknown[] }>('GET', `/api/jobs/sleepy/results?task_group=${m.task_group}`);
  expect(results.body.results).toEqual(PARAMS);
}

it('Redis restarted during a map: queued messages survive (append-only file), no task lost', async () => {
  await mapThrough('redis restart', async () => {
    await replacements.stop('redis');
    await sleep(1000);
    await replacements.start('redis');
  });
});

it('MongoDB restarted during a map: the API answers 503 with a message meanwhile, then recovers; no task lost', async () => {
  await mapThrough('mongodb restart', async () => {
    await replacements.stop('ferretdb');
    const res = await api.call<{ statusCode: number; message: string }>('GET', '/api/jobs/sleepy/status');
    expect(res.status).toBe(503);
    expect(res.body.message).toMatch(/MongoDB/);
    const health = await api.call<{ status: string; mongo: string }>('GET', '/api/health');
    expect(health.status).toBe(503);
    expect(health.body.mongo).not.toBe('ok');
    await sleep(3000);
    await replacements.start('ferretdb');
  });
  // Recovered by itself, without a restart of the service.
  expect((await api.call('GET', '/api/health')).status).toBe(200);
});

it('the API service restarted during a map: no task lost', async () => {
  await mapThrough('api service restart', async () => {
    await replacements.stop('service');
    await sleep(1000);
    await replacements.start('service');
  });
});
