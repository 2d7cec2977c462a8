/**
 * Exactly once, under faults, on the real stack (2 workers x concurrency 2): however many tasks
 * finish at the same moment, a worker killed with SIGKILL right after it finished the last task,
 * the API service stopped while the last tasks finish, and the crash windows inside the
 * transition (nothing triggered; claimed but never published; published but never marked queued)
 * repaired by the reconciler from several processes at once — each round's reduce is queued once
 * and runs once: the reduce notebook logs one line per execution, and that count is checked.
 */
import type Redis from 'ioredis';
import { isFinalState } from '../../../../worker/src/domain/queue-states';
import { roundId } from '../../../../worker/src/domain/reduce';
import { NbgridTaskPublisher } from '../../../../worker/src/queue';
import { RedisQueueInspector } from '../../../../worker/src/queue/queue-inspector';
import { reconcileReduce } from '../../../../worker/src/reduce/reduce-reconciler';
import { ReduceTrigger } from '../../../../worker/src/reduce/reduce-trigger';
import { TaskReconciler } from '../../../../worker/src/runtime/task-reconciler';
import { reduceInputJson } from '../../../../worker/src/reduce/reduce-input';
import type { IRunningStack } from '../../../../worker/src/stack';
import type { NbgridStore } from '../../../../worker/src/storage';
import { Collections } from '../../../../worker/src/storage/collections';
import type { TestApi } from '../../support/api';
import { Replacements, workerPid } from '../faults/support';
import { reduceRuns, resultsOf, roundsOf, rowsOf, sleep, squareNotebook, summaryNotebook, until, useReduceStack, waitReduced } from './support';

let api: TestApi;
let store: NbgridStore;
let redis: Redis;
let stack: IRunningStack;
let runLog: string;
let replacements: Replacements | undefined;

useReduceStack('nbgrid-reduce-faults-', { beforeStop: async () => replacements?.stopAll() }, async (s) => {
  ({ api, store, runLog, stack, redis } = s);
  replacements = new Replacements(stack, 4);
  await api.put('square', squareNotebook('/nonexistent'));
  await api.put('summary', summaryNotebook(runLog));
});

/** A trigger as another process would have it (its own publisher, no memory shared). */
function trigger(): ReduceTrigger {
  return new ReduceTrigger({ reduce: store.reduce, tasks: store.tasks, notebooks: store.notebooks, publisher: new NbgridTaskPublisher(redis) });
}

/** Reduce task documents made for a group (one per round at most). */
async function reduceTasks(group: string): Promise<number> {
  return store.connection.run((db) => db.collection(Collections.tasks).countDocuments({ 'reduce_of.task_group': group }));
}

/** A completed group of `n` tasks made without a reduce step, then given one: as if every trigger was lost. */
async function completedGroupWithSpec(n: number): Promise<string> {
  const m = await api.map('square', { params: Array.from({ length: n }, (_, i) => i) });
  await api.waitDone('square', m.task_group);
  await store.reduce.putSpec({
    task_group: m.task_group, job: 'square', notebook: 'summary', when: 'all_ok', require: 'default', cell_timeout: null, created: new Date().toISOString()
  });
  return m.task_group;
}

describe('the reduce of a round is queued once and runs once', () => {
  it('with 40 tasks finishing together on 2 workers x concurrency 2', async () => {
    const params = Array.from({ length: 40 }, (_, i) => i);
    const m = await api.map('square', { params, then: { notebook: 'summary' } });
    await waitReduced(api, 'square', m.task_group);
    expect((await resultsOf(api, 'square', m.task_group)).reduced).toMatchObject({ results: params.map((p) => p * p) });
    // late duplicates would show up after the row is final: give them the time a redelivery takes
    await sleep(6000);
    expect(reduceRuns(runLog, m.task_group)).toBe(1);
    expect(await reduceTasks(m.task_group)).toBe(1);
    expect((await roundsOf(store, m.task_group)).map((r) => r.round)).toEqual([1]);
    const reduce = (await rowsOf(api, 'square', m.task_group)).reduce!;
    const task = await store.runs.get(reduce.name);
    expect(task.job_runs.map((r) => r.status)).toEqual(['OK']);
  });

  it('when the worker that finished the last task is killed with SIGKILL right after', async () => {
    const params = [...Array.from({ length: 6 }, (_, i) => i), { x: 9, sleep: 6 }];
    const m = await api.map('square', { params, then: { notebook: 'summary' } });
    const last = `tasks/square/${m.task_group}-6`;
    const running = await until('the last task running', () => store.runs.get(last), (t) => t.state === 'STARTED');
    const victim = running.worker as string;
    // the moment the last task is recorded, its worker dies (before or during its trigger, and before the ack)
    await until('the last task recorded', () => store.runs.get(last), (t) => isFinalState(t.state), 60000);
    process.kill(workerPid(stack, victim), 'SIGKILL');
    const reduce = await waitReduced(api, 'square', m.task_group);
    expect(reduce.run_status).toBe('OK');
    await sleep(8000); // past the visibility timeout: a redelivered copy would have run by now
    expect(await reduceTasks(m.task_group)).toBe(1);
    expect((await roundsOf(store, m.task_group)).map((r) => r.round)).toEqual([1]);
    // Counted once. The victim may have taken the reduce message itself and died running it: then
    // the redelivered run records that lost attempt first, and every execution is in the history.
    const task = await store.runs.get(reduce.name);
    expect(task.job_runs.filter((r) => r.status === 'OK').length).toBe(1);
    expect(task.job_runs.slice(0, -1).every((r) => /stopped during the run; the task was redelivered/.test(r.message))).toBe(true);
    expect(reduceRuns(runLog, m.task_group)).toBe(task.job_runs.length);
    expect((await resultsOf(api, 'square', m.task_group)).reduced).toMatchObject({ results: [0, 1, 4, 9, 16, 25, 81] });
    // the surviving worker carries on alone from here
  });

  it('when the API service is stopped while the last tasks finish, and started again', async () => {
    const params = [1, { x: 2, sleep: 4 }, { x: 3, sleep: 4 }];
    const m = await api.map('square', { params, then: { notebook: 'summary' } });
    await until('a task running', () => rowsOf(api, 'square', m.task_group), (r) => r.tasks.some((t) => t.status === 'STARTED'));
    await replacements!.stop('service');
    // the workers finish the group and queue its reduce without the API service
    await until('the reduce round claimed', () => roundsOf(store, m.task_group), (r) => r.length === 1, 120000);
    await replacements!.start('service');
    const reduce = await waitReduced(api, 'square', m.task_group);
    expect(reduce.run_status).toBe('OK');
    await sleep(3000);
    expect(reduceRuns(runLog, m.task_group)).toBe(1);
    expect(await reduceTasks(m.task_group)).toBe(1);
  });

  it('when every trigger was lost: the reconciler, run by several processes at once, makes the transition once', async () => {
    const group = await completedGroupWithSpec(5);
    const queue = new RedisQueueInspector(redis);
    const reports = await Promise.all(
      Array.from({ length: 4 }, () =>
        reconcileReduce({ trigger: trigger(), reduce: store.reduce, queue, getTask: (n) => store.runs.get(n), recheckMs: 200 })
      ).concat([trigger().onTaskFinal(group).then((r) => ({ claimed: r ? [r._id] : [], republished: [] }))])
    );
    const claims = reports.flatMap((r) => r.claimed).filter((id) => id.startsWith(group));
    expect(claims).toEqual([roundId(group, 1)]);
    await waitReduced(api, 'square', group);
    await sleep(3000);
    expect(reduceRuns(runLog, group)).toBe(1);
    expect(await reduceTasks(group)).toBe(1);
  });

  it('when the claimer died before publishing: the reconciler publishes once, and only once', async () => {
    const group = await completedGroupWithSpec(3);
    const spec = (await store.reduce.spec(group))!;
    const main = await store.notebooks.describe('summary');
    const input = Buffer.from(reduceInputJson(group, await store.tasks.listExact('square', group)));
    const made = await store.reduce.createReduceTask({ spec, round: 1, require: 'default', main_sha256: main.sha256, param: input });
    const claimed = await store.reduce.claimRound({
      _id: roundId(group, 1), job: 'square', task_group: group, round: 1, notebook: 'summary', ...made,
      require: 'default', skipped: null, queued: false, created: new Date(Date.now() - 60000).toISOString()
    });
    expect(claimed).toBe(true);
    // a worker's trigger now finds the round claimed: it does not publish
    expect(await trigger().onTaskFinal(group)).toBeNull();
    const queue = new RedisQueueInspector(redis);
    const passes = await Promise.all(
      [0, 1].map(() => reconcileReduce({ trigger: trigger(), reduce: store.reduce, queue, getTask: (n) => store.runs.get(n), minAgeMs: 0, recheckMs: 300 }))
    );
    // two reconcilers at once both see no message: one of them publishes (a unique marker decides)
    expect(passes.flatMap((p) => p.republished).filter((id) => id.startsWith(group))).toEqual([roundId(group, 1)]);
    await waitReduced(api, 'square', group);
    const again = await reconcileReduce({ trigger: trigger(), reduce: store.reduce, queue, getTask: (n) => store.runs.get(n), minAgeMs: 0, recheckMs: 100 });
    expect(again.republished).toEqual([]);
    await sleep(6000);
    expect(reduceRuns(runLog, group)).toBe(1);
    const task = await store.runs.get(made.task_name);
    expect(task.job_runs.filter((r) => r.status === 'OK').length).toBe(1);
  });

  it('when the claimer died after publishing, before marking the round queued: nothing is published again', async () => {
    const group = await completedGroupWithSpec(2);
    const spec = (await store.reduce.spec(group))!;
    const main = await store.notebooks.describe('summary');
    const input = Buffer.from(reduceInputJson(group, await store.tasks.listExact('square', group)));
    const made = await store.reduce.createReduceTask({ spec, round: 1, require: 'default', main_sha256: main.sha256, param: input });
    const round = {
      _id: roundId(group, 1), job: 'square', task_group: group, round: 1, notebook: 'summary', ...made,
      require: 'default', skipped: null, queued: false, created: new Date(Date.now() - 60000).toISOString()
    };
    expect(await store.reduce.claimRound(round)).toBe(true);
    await new NbgridTaskPublisher(redis).publishMany([{ taskId: made.task_id, queue: 'default', kwargs: { task_name: made.task_name, task_group: made.reduce_group, attempt: 1 } }]);
    const queue = new RedisQueueInspector(redis);
    const pass = await reconcileReduce({ trigger: trigger(), reduce: store.reduce, queue, getTask: (n) => store.runs.get(n), minAgeMs: 0, recheckMs: 300 });
    expect(pass.republished.filter((id) => id.startsWith(group))).toEqual([]);
    await waitReduced(api, 'square', group);
    await sleep(6000);
    expect(reduceRuns(runLog, group)).toBe(1);
    expect((await store.reduce.rounds(group))[0].queued).toBe(true);
  });
});

/**
 * The crash windows between the claim of a round and its message, closed by construction: only
 * the claimer writes the reduce task (after its claim), and the task reconciler leaves a reduce
 * task whose round is not marked queued to the reduce reconciler. A process that dies in a window
 * is a trigger whose next step throws (it does nothing more); then both reconcilers run, in
 * either order, with no age limit: the reduce is published once and runs once.
 */
describe('a crash between the claim of a round and its message, whichever reconciler runs first', () => {
  const windows = {
    'before the reduce task is written': (): ReduceTrigger =>
      new ReduceTrigger({
        reduce: Object.assign(Object.create(store.reduce) as typeof store.reduce, {
          createReduceTask: () => Promise.reject(new Error('crashed after the claim'))
        }),
        tasks: store.tasks, notebooks: store.notebooks,
        publisher: new NbgridTaskPublisher(redis)
      }),
    'after the reduce task is written, before its message is published': (): ReduceTrigger =>
      new ReduceTrigger({
        reduce: store.reduce, tasks: store.tasks, notebooks: store.notebooks,
        publisher: { publishMany: () => Promise.reject(new Error('crashed before publishing')) }
      })
  };
  const orders = ['task reconciler first', 'reduce reconciler first'] as const;
  for (const [window, crashing] of Object.entries(windows)) {
    for (const order of orders) {
      it(`${window}; ${order}`, async () => {
        const group = await completedGroupWithSpec(3);
        const spec = (await store.reduce.spec(group))!;
        await expect(crashing().check(spec)).rejects.toThrow(/crashed/);
        const [round] = await roundsOf(store, group);
        expect(round).toMatchObject({ round: 1, queued: false, skipped: null });
        // only the claimer writes the reduce task: before that step, there is none
        expect(await reduceTasks(group)).toBe(window.startsWith('before') ? 0 : 1);
        const queue = new RedisQueueInspector(redis);
        const stuck = new TaskReconciler({ store: store.stuck, queue, liveWorkers: async () => [], minAgeMs: 0, recheckMs: 200 });
        const taskPass = async (): Promise<string[]> => (await stuck.reconcileOnce()).repaired.map((r) => r.name);
        const reducePass = async (): Promise<string[]> =>
          (await reconcileReduce({ trigger: trigger(), reduce: store.reduce, queue, getTask: (n) => store.runs.get(n), minAgeMs: 0, recheckMs: 200 })).republished;
        const repaired: string[] = [];
        const republished: string[] = [];
        if (order === 'task reconciler first') {
          repaired.push(...(await taskPass()));
          republished.push(...(await reducePass()));
        } else {
          republished.push(...(await reducePass()));
          repaired.push(...(await taskPass()));
        }
        expect(republished.filter((id) => id.startsWith(group))).toEqual([roundId(group, 1)]);
        expect(repaired.filter((name) => name === round.task_name)).toEqual([]);
        const reduce = await waitReduced(api, 'square', group);
        expect(reduce.run_status).toBe('OK');
        // a later pass of each finds nothing to do
        expect((await reducePass()).filter((id) => id.startsWith(group))).toEqual([]);
        expect((await taskPass()).filter((name) => name === round.task_name)).toEqual([]);
        await sleep(3000);
        expect(reduceRuns(runLog, group)).toBe(1);
        expect(await reduceTasks(group)).toBe(1);
        const task = await store.runs.get(round.task_name!);
        expect(task.job_runs.map((r) => r.status)).toEqual(['OK']);
        expect((await resultsOf(api, 'square', group)).reduced).toMatchObject({ results: [0, 1, 4] });
      });
    }
  }
});

it('a reduce message lost after its round was queued: the task reconciler repairs the reduce task, a restart runs it once', async () => {
  const group = await completedGroupWithSpec(2);
  const spec = (await store.reduce.spec(group))!;
  // as if Redis lost the message right after it was published: the round is claimed and queued
  const losing = new ReduceTrigger({ reduce: store.reduce, tasks: store.tasks, notebooks: store.notebooks, publisher: { publishMany: async () => undefined } });
  const round = (await losing.check(spec))!;
  expect((await roundsOf(store, group)).map((r) => r.queued)).toEqual([true]);
  const stuck = new TaskReconciler({ store: store.stuck, queue: new RedisQueueInspector(redis), liveWorkers: async () => [], minAgeMs: 0, recheckMs: 200 });
  const { repaired } = await stuck.reconcileOnce();
  expect(repaired.filter((r) => r.name === round.task_name).map((r) => r.was)).toEqual(['PENDING']);
  const lost = (await rowsOf(api, 'square', group)).reduce!;
  expect([lost.status, lost.run_status]).toEqual(['FAILURE', 'ERROR']);
  const restart = await api.call<{ restarted: { name: string }[] }>('POST', '/api/jobs/square/restart', { task_group: group });
  expect(restart.body.restarted.map((t) => t.name)).toEqual([round.task_name]);
  await until('the reduce run', () => store.runs.get(round.task_name!), (t) => t.run_status === 'OK');
  await sleep(3000);
  expect(reduceRuns(runLog, group)).toBe(1);
  expect(await reduceTasks(group)).toBe(1);
  expect((await resultsOf(api, 'square', group)).reduced).toMatchObject({ results: [0, 1] });
});

it('a redelivery that read a task STARTED just before its first delivery recorded the run adds no lost attempt', async () => {
  // seen in restarts.test.ts with a visibility timeout shorter than a Redis outage: the reduce
  // task's OK run, then "worker … stopped during the run" appended after it
  const m = await api.map('square', { params: [3] });
  await api.waitDone('square', m.task_group);
  const name = `tasks/square/${m.task_group}-0`;
  const done = await store.runs.get(name);
  const lost = { status: 'ERROR' as const, ts: new Date().toISOString(), message: 'worker w stopped during the run; the task was redelivered', results: null, duration: 0, worker: 'w', attempt: 2, task_id: done.task_id };
  await store.runs.recordLostAttempt(name, lost, { whileStarted: true });
  expect((await store.runs.get(name)).job_runs.map((r) => r.status)).toEqual(['OK']);
  await store.runs.recordLostAttempt(name, lost);
  expect((await store.runs.get(name)).job_runs.map((r) => r.status)).toEqual(['OK', 'ERROR']);
});
