import { AUTH, makeApp, notebook, type ITestApp } from './helpers';

async function storeMain(t: ITestApp, name = 'main'): Promise<void> {
  const res = await t.app.inject({ method: 'PUT', url: `/api/notebooks/${encodeURIComponent(name)}`, headers: AUTH, payload: { content: notebook() } });
  expect(res.statusCode).toBe(200);
}

describe('/api/jobs', () => {
  let t: ITestApp;
  beforeEach(async () => {
    t = makeApp();
    await storeMain(t);
  });
  afterEach(async () => {
    await t.app.close();
  });

  const map = (body: unknown, name = 'main') =>
    t.app.inject({ method: 'POST', url: `/api/jobs/${name}/map`, headers: AUTH, payload: body as object });

  it('maps params and passes require and cell_timeout through', async () => {
    const params = [1, 'two', { three: [3] }, null];
    const res = await map({ params, require: 'gpu', cell_timeout: 2.5 });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      task_group: '00000001',
      job: 'main',
      count: 4,
      require: 'gpu',
      tasks: params.map((_, i) => ({ name: `tasks/main/00000001-${i}`, task_id: `00000001-task-${i}` })),
      warnings: ["no live worker serves the label 'gpu'"]
    });
    expect(t.jobs.calls.at(-1)).toEqual({ method: 'map', args: ['main', { params, require: 'gpu', cell_timeout: 2.5 }] });
  });

  it('expands a range server-side like Python, negative steps included', async () => {
    await map({ range: { stop: 3 } });
    expect(t.jobs.calls.at(-1)?.args[1]).toEqual({ params: [0, 1, 2], require: null, cell_timeout: null });
    await map({ range: { start: 10, stop: 0, step: -3 } });
    expect((t.jobs.calls.at(-1)?.args[1] as { params: number[] }).params).toEqual([10, 7, 4, 1]);
  });

  it('maps a job whose name contains / when percent-encoded', async () => {
    await storeMain(t, 'reports/monthly');
    const res = await map({ params: [1] }, 'reports%2Fmonthly');
    expect(res.statusCode).toBe(201);
    expect(res.json().job).toBe('reports/monthly');
  });

  it('answers 404 for an unknown notebook, from the job service', async () => {
    const res = await map({ params: [1] }, 'nope');
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toContain("notebook 'nope' does not exist");
  });

  it.each([
    [{ params: [1], range: { stop: 2 } }, 'body has both params and range: give one of them, not both'],
    [{}, 'body needs params (a JSON array'],
    [{ params: 5 }, 'body/params must be array: give a JSON array'],
    [{ params: '[1,2]' }, 'body/params must be array'],
    [{ params: [] }, 'body/params is an empty array'],
    [{ range: { stop: 5, step: 0 } }, 'body/range/step must not be 0'],
    [{ range: { start: 0, stop: 100001 } }, 'has 100001 elements; one map takes at most 100000'],
    [{ range: { start: 5, stop: 0 } }, 'range(5, 0, 1) is empty'],
    [{ range: { start: 0, stop: 1.5 } }, 'body/range/stop must be integer'],
    [{ range: { start: 0 } }, 'body/range/stop is required'],
    [{ range: { stop: 1, end: 3 } }, "body/range has an unknown field 'end'"],
    [{ params: [1], require: 'g p u' }, 'body/require "g p u" is not valid: a worker label is 1-64 characters'],
    [{ params: [1], require: 'x'.repeat(65) }, 'body/require'],
    [{ params: [1], cell_timeout: 0 }, 'body/cell_timeout must be > 0: give a positive number of seconds'],
    [{ params: [1], cell_timeout: '10' }, 'body/cell_timeout must be number'],
    [{ params: [1], requires: 'gpu' }, "body has an unknown field 'requires'"]
  ])('rejects map body %j with an actionable 400', async (body, message) => {
    const before = t.jobs.snapshot();
    const res = await map(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain(message);
    expect(t.jobs.snapshot()).toBe(before);
    expect(t.jobs.calls.filter((c) => c.method === 'map')).toHaveLength(0);
  });

  it('rejects a job name with .. or a leading slash', async () => {
    for (const name of ['..%2Fx', 'a%2F..', '%2Fabs', 'a%5Cb']) {
      const res = await map({ params: [1] }, name);
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/^job name /);
    }
  });

  it('answers status, tasks, results and groups in the documented shapes', async () => {
    const first = (await map({ params: ['a', 'b'] })).json();
    const second = (await map({ params: [10, 20, 30] })).json();
    t.jobs.completeTask(second.task_group, 1, { answer: 42 });

    const status = await t.app.inject({ url: '/api/jobs/main/status', headers: AUTH });
    expect(status.statusCode).toBe(200);
    const rows = status.json().rows;
    expect(rows).toHaveLength(3);
    expect(rows[1]).toEqual({
      name: `tasks/main/${second.task_group}-1`,
      task_id: `${second.task_group}-task-1`,
      status: 'SUCCESS',
      run_status: 'OK',
      task_group: second.task_group,
      job_id: 1,
      duration: 1.5,
      worker: 'nbgrid@test',
      message: '',
      results: `results/tasks/main/${second.task_group}-1.ipynb_x.ipynb`
    });
    expect(rows[0].duration).toBeNull();

    const all = await t.app.inject({ url: '/api/jobs/main/status?task_group=*', headers: AUTH });
    expect(all.json().rows).toHaveLength(5);
    const one = await t.app.inject({ url: `/api/jobs/main/status?task_group=${first.task_group}`, headers: AUTH });
    expect(one.json().rows.map((r: { job_id: number }) => r.job_id)).toEqual([0, 1]);

    const tasks = await t.app.inject({ url: '/api/jobs/main/tasks', headers: AUTH });
    expect(tasks.statusCode).toBe(200);
    const task = tasks.json().tasks[1];
    expect(task.param).toBe(20);
    expect(task.result).toEqual({ answer: 42 });
    expect(task.job_runs).toHaveLength(1);
    expect(task.cell_timeout).toBeNull();

    const results = await t.app.inject({ url: '/api/jobs/main/results', headers: AUTH });
    expect(results.json()).toEqual({ task_group: second.task_group, results: [null, { answer: 42 }, null], missing: [0, 2] });

    const groups = await t.app.inject({ url: '/api/jobs/main/groups', headers: AUTH });
    expect(groups.json().groups.map((g: { task_group: string }) => g.task_group)).toEqual([second.task_group, first.task_group]);
    expect(groups.json().groups[0]).toMatchObject({ job: 'main', count: 3, require: 'default', states: { PENDING: 2, SUCCESS: 1 } });
  });

  it("returns each task's worker from GET /tasks (the schema once lacked it and the serializer dropped it)", async () => {
    const group = (await map({ params: [1, 2] })).json().task_group;
    t.jobs.completeTask(group, 0, 'done');
    const res = await t.app.inject({ url: '/api/jobs/main/tasks', headers: AUTH });
    expect(res.statusCode).toBe(200);
    const tasks = res.json().tasks;
    expect(tasks.map((task: { worker: unknown }) => task.worker)).toEqual(['nbgrid@test', null]);
    expect(Object.keys(tasks[1])).toContain('worker');
  });

  it('restarts only tasks without an OK run, all with reset, and accepts no body', async () => {
    const group = (await map({ params: [1, 2] })).json().task_group;
    t.jobs.completeTask(group, 0, 1);
    const noBody = await t.app.inject({ method: 'POST', url: '/api/jobs/main/restart', headers: AUTH });
    expect(noBody.statusCode).toBe(200);
    expect(noBody.json().restarted.map((r: { name: string }) => r.name)).toEqual([`tasks/main/${group}-1`]);
    const reset = await t.app.inject({ method: 'POST', url: '/api/jobs/main/restart', headers: AUTH, payload: { task_group: group, reset: true } });
    expect(reset.json().restarted).toHaveLength(2);
    expect(t.jobs.calls.at(-1)).toEqual({ method: 'restart', args: ['main', { task_group: group, reset: true, refresh: false }] });
    const bad = await t.app.inject({ method: 'POST', url: '/api/jobs/main/restart', headers: AUTH, payload: { reset: 'yes' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('body/reset must be boolean: true or false');
  });

  it('cancels queued tasks', async () => {
    const group = (await map({ params: [1, 2, 3] })).json().task_group;
    const res = await t.app.inject({ method: 'POST', url: '/api/jobs/main/cancel', headers: AUTH, payload: {} });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ task_group: group, revoked: 3 });
  });

  it('rejects a malformed task_group query', async () => {
    const res = await t.app.inject({ url: '/api/jobs/main/status?task_group=a%20b', headers: AUTH });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('querystring/task_group "a b" is not valid');
    const star = await t.app.inject({ url: '/api/jobs/main/results?task_group=*', headers: AUTH });
    expect(star.statusCode).toBe(400);
  });

  it('answers 404 with a hint when a job name with / is not encoded', async () => {
    const res = await t.app.inject({ url: '/api/jobs/reports/monthly/status', headers: AUTH });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toContain('percent-encoded');
  });
});
