/** The `tasks` field of restart and cancel bodies: passed through when valid, 400 when not. */
import { AUTH, makeApp, notebook, type ITestApp } from './helpers';

describe('tasks in restart and cancel bodies', () => {
  let t: ITestApp;
  beforeEach(async () => {
    t = makeApp();
    await t.app.inject({ method: 'PUT', url: '/api/notebooks/main', headers: AUTH, payload: { content: notebook() } });
  });
  afterEach(async () => {
    await t.app.close();
  });

  const post = (action: string, payload: object) => t.app.inject({ method: 'POST', url: `/api/jobs/main/${action}`, headers: AUTH, payload });

  it('passes tasks through to the job service', async () => {
    await post('restart', { tasks: ['tasks/main/0a1b2c3d-1.ipynb', '2'] }).catch(() => undefined);
    expect(t.jobs.calls.find((c) => c.method === 'restart')?.args).toEqual(['main', { reset: false, refresh: false, tasks: ['tasks/main/0a1b2c3d-1.ipynb', '2'] }]);
    await post('cancel', { tasks: ['3'] }).catch(() => undefined);
    expect(t.jobs.calls.find((c) => c.method === 'cancel')?.args).toEqual(['main', { task_group: undefined, tasks: ['3'] }]);
  });

  it.each([
    ['restart', 'no task', { tasks: [] }],
    ['restart', 'a string', { tasks: 'tasks/main/0a1b2c3d-1' }],
    ['cancel', 'a number', { tasks: [3] }],
    ['cancel', 'an empty name', { tasks: [''] }],
    ['restart', '1,001 tasks', { tasks: Array.from({ length: 1001 }, (_, i) => String(i)) }]
  ])('%s with %s is a 400 naming tasks', async (action, _what, body) => {
    const res = await post(action, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/tasks/);
  });
});
