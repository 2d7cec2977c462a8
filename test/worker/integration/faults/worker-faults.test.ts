/**
 * Faults inside the workers' own machinery, in the middle of a map on the real stack: a worker
 * killed with SIGKILL, the Kernel Gateway killed and started again, a task over its time limit
 * and a kernel that eats memory. Afterwards every task is OK or an ERROR naming the fault, no task
 * has two OK runs, and restart() re-runs exactly the tasks without an OK result.
 */
import type { IRunningStack } from '../../../../worker/src/stack';
import type { TestApi } from '../../support/api';
import { usePrivateStack } from '../../support/private-stack';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { allFinished, measure, Replacements, report, settle, sleep, waitStarted, waitTasks, workerPid, type ITaskWithRuns } from './support';

const VISIBILITY = 4;
let stack: IRunningStack;
let api: TestApi;
let replacements: Replacements;

usePrivateStack('nbgrid-faults-', { workers: 2, visibilityTimeout: VISIBILITY, beforeStop: () => replacements?.stopAll() }, async (s) => {
  ({ stack, api } = s);
  replacements = new Replacements(stack, VISIBILITY);
  await api.put('sleepy', notebook([PARAM_CELL, "import time\ntime.sleep(job['param'])\njob['result'] = job['param']"]));
});

const okRuns = (t: { job_runs: { status: string }[] }): number => t.job_runs.filter((r) => r.status === 'OK').length;

describe('a worker killed with SIGKILL during a task', () => {
  it('redelivers the task after the visibility timeout; another worker completes it; both attempts are in the history', async () => {
    const m = await api.map('sleepy', { params: [4, 4, 1, 1] });
    const victim = await waitStarted(api, 'sleepy', m.task_group);
    const victimWorker = (await api.status('sleepy', m.task_group)).find((r) => r.name === victim.name)!.worker!;
    const t0 = Date.now();
    process.kill(workerPid(stack, victimWorker), 'SIGKILL');
    const tasks = await settle(api, 'sleepy', m.task_group);
    const result = measure('worker kill -9', 4, tasks, t0);
    report(result);
    expect(result.lost).toBe(0);
    expect(result.duplicateOk).toBe(0);
    expect(tasks.every((t) => t.run_status === 'OK' && okRuns(t) === 1)).toBe(true);
    const killed = tasks.find((t) => t.name === victim.name)!;
    expect(killed.job_runs.map((r) => r.status)).toEqual(['ERROR', 'OK']);
    expect(killed.job_runs[0].worker).toBe(victimWorker);
    expect(killed.job_runs[0].message).toMatch(/stopped during the run; the task was redelivered/);
    expect(killed.job_runs[1].worker).not.toBe(victimWorker);
    // Capacity back to two workers for the next tests.
    await stack.addWorker({ name: 'worker-3' });
  });
});

describe('the Kernel Gateway killed during a task and started again', () => {
  it('ends each interrupted task OK after a retry or ERROR naming the gateway, and the worker keeps serving', async () => {
    const m = await api.map('sleepy', { params: [5, 5, 1, 1] });
    const running = (await waitTasks(api, 'sleepy', m.task_group, (ts) => ts.filter((t) => t.state === 'STARTED').length >= 2, 60000))
      .filter((t) => t.state === 'STARTED')
      .map((t) => t.name);
    const t0 = Date.now();
    await replacements.stop('kernelgateway');
    await sleep(2000);
    await replacements.start('kernelgateway');
    const tasks = await settle(api, 'sleepy', m.task_group);
    const result = measure('kernel gateway restart', 4, tasks, t0);
    report(result);
    expect(result.lost).toBe(0);
    expect(result.duplicateOk).toBe(0);
    for (const t of tasks) {
      if (t.run_status === 'OK') expect(okRuns(t)).toBe(1);
      else expect(t.job_runs[t.job_runs.length - 1].message.toLowerCase()).toMatch(/gateway/);
    }
    // The tasks running when the gateway went away were hit: each has a run naming the gateway.
    for (const name of running) {
      const t = tasks.find((x) => x.name === name)!;
      expect([name, t.job_runs.some((r) => r.status === 'ERROR' && /gateway/i.test(r.message))]).toEqual([name, true]);
    }
    // restart() picks up exactly the tasks without an OK run, and they run now.
    const notOk = tasks.filter((t) => t.run_status !== 'OK').map((t) => t.name);
    const r = await api.call<{ restarted: { name: string }[] }>('POST', '/api/jobs/sleepy/restart', { task_group: m.task_group });
    expect(r.body.restarted.map((t) => t.name)).toEqual(notOk);
    const restarted = await settle(api, 'sleepy', m.task_group);
    // (A task that is not OK shows its last run's message in the diff.)
    const lastMessage = (t: ITaskWithRuns) => (t.run_status === 'OK' ? '' : (t.job_runs[t.job_runs.length - 1]?.message ?? 'no run'));
    expect(restarted.map((t) => [t.run_status, okRuns(t), lastMessage(t)])).toEqual(tasks.map(() => ['OK', 1, '']));
    // Serving again with the gateway back.
    const again = await api.map('sleepy', { params: [0, 0] });
    const after = await settle(api, 'sleepy', again.task_group);
    expect(after.map((t) => t.run_status)).toEqual(['OK', 'OK']);
  });
});

describe('limits', () => {
  let group: string;

  it('a task over its time limit and a kernel that eats memory are ERRORs with clear messages; the workers survive', async () => {
    await api.put(
      'limits',
      notebook([
        PARAM_CELL,
        [
          'import resource, time',
          "if job['param'] == 'slow':",
          '    time.sleep(60)',
          "if job['param'] == 'hog':",
          '    # Cap this kernel at 1 GiB of address space first: the machine is shared.',
          '    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))',
          '    hog = []',
          '    while True:',
          "        hog.append(bytearray(64 << 20))",
          "job['result'] = job['param']"
        ].join('\n')
      ])
    );
    const m = await api.map('limits', { params: ['slow', 'hog', 'ok', 'ok'], cell_timeout: 3 });
    group = m.task_group;
    const t0 = Date.now();
    const tasks = await settle(api, 'limits', m.task_group, 60000);
    const result = measure('time limit + memory hog', 4, tasks, t0);
    report(result);
    expect(result.lost).toBe(0);
    expect(result.duplicateOk).toBe(0);
    const [slow, hog, ok1, ok2] = tasks;
    expect([slow.state, slow.run_status]).toEqual(['FAILURE', 'ERROR']);
    expect(slow.job_runs[0].message.toLowerCase()).toMatch(/timed out|timeout/);
    expect([hog.state, hog.run_status]).toEqual(['FAILURE', 'ERROR']);
    expect(hog.job_runs[0].message).toMatch(/MemoryError|kernel died/i);
    expect([ok1.run_status, ok2.run_status]).toEqual(['OK', 'OK']);
    const workers = await api.call<{ workers: unknown[] }>('GET', '/api/workers');
    expect(workers.body.workers.length).toBeGreaterThanOrEqual(2);
  });

  it('restart() afterwards picks up exactly the tasks without an OK result', async () => {
    const r = await api.call<{ restarted: { name: string }[] }>('POST', '/api/jobs/limits/restart', { task_group: group });
    expect(r.body.restarted.map((t) => t.name)).toEqual([`tasks/limits/${group}-0`, `tasks/limits/${group}-1`]);
    const tasks = await waitTasks(api, 'limits', group, allFinished, 60000);
    expect(tasks.map((t) => okRuns(t))).toEqual([0, 0, 1, 1]);
    expect(tasks.map((t) => t.job_runs.length)).toEqual([2, 2, 1, 1]);
  });
});
