/**
 * Issue 14: `nbgrid` prints values that come from notebooks and users (an error's `ename: evalue`,
 * names, returned values, warnings, error answers). None of them may reach the terminal as an
 * escape sequence. The CLI runs against the API built with the in-memory job service.
 */
import type { AddressInfo } from 'node:net';
import { InvalidInputError } from '../../../../worker/src/domain/errors';
import { main } from '../../../../worker/src/cli';
import { makeApp, notebook, TOKEN, type ITestApp } from '../service/helpers';

/** Anything a terminal would act on, but newline. */
// eslint-disable-next-line no-control-regex -- the test looks for control characters
const ACTIVE = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;
const EVIL = 'ValueError: \x1b]0;pwned\x07\x1b[2J\x9b1;1Hgone\r';
const EVIL_VALUE = { '\x1b[31mkey': ['\x9b2J', '\x1b]52;c;ZXZpbA==\x07'] };

let t: ITestApp;
let printed: { stdout: string; stderr: string };
const saved = { url: process.env.NBGRID_URL, token: process.env.NBGRID_TOKEN };

async function nbgrid(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  printed = { stdout: '', stderr: '' };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.stderr += String(chunk);
    return true;
  });
  try {
    await main(['node', 'nbgrid', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
  return printed;
}

beforeAll(async () => {
  t = makeApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  process.env.NBGRID_URL = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  process.env.NBGRID_TOKEN = TOKEN;
  await t.jobs.putNotebook('evil', notebook());
  const map = await t.jobs.map('evil', { params: [1, 2], require: 'gpu\x1b[2J' });
  t.jobs.completeTask(map.task_group, 0, EVIL_VALUE);
  const [, failed] = t.jobs.tasksByGroup.get(map.task_group) ?? [];
  failed.state = 'FAILURE';
  failed.run_status = 'ERROR';
  failed.job_runs.push({ status: 'ERROR', ts: '2026-01-01T00:00:00Z', message: EVIL, results: null, duration: 1, worker: 'w\x1b]0;x\x07@host', attempt: 1 });
  t.state.workers = [{ hostname: 'nbgrid@\x1b[2Jhost', labels: ['default'], concurrency: 1, active: 0, processed: 0, last_seen: '2026-01-01T00:00:00Z' } as never];
});

afterAll(async () => {
  await t.app.close();
  process.env.NBGRID_URL = saved.url;
  process.env.NBGRID_TOKEN = saved.token;
  if (saved.url === undefined) delete process.env.NBGRID_URL;
  if (saved.token === undefined) delete process.env.NBGRID_TOKEN;
});

describe('nbgrid printers strip terminal escape sequences', () => {
  it('status table: the error message is shown without its escape sequences', async () => {
    const { stdout, stderr } = await nbgrid('status', 'evil');
    expect(stdout).not.toMatch(ACTIVE);
    expect(stderr).toBe('');
    expect(stdout).toContain('ValueError: gone');
    expect(stdout).toContain('w@host');
  });

  it('status --json and results: JSON stays exact, with the controls escaped', async () => {
    const json = await nbgrid('status', 'evil', '--json');
    expect(json.stdout).not.toMatch(ACTIVE);
    const rows = JSON.parse(json.stdout) as { message: string }[];
    expect(rows[1].message).toBe(EVIL);

    const results = await nbgrid('results', 'evil');
    expect(results.stdout).not.toMatch(ACTIVE);
    expect(JSON.parse(results.stdout)).toEqual([EVIL_VALUE, null]);
    expect(results.stderr).toBe('no OK result yet for job_id 1\n');
  });

  it('workers table', async () => {
    const { stdout } = await nbgrid('workers');
    expect(stdout).not.toMatch(ACTIVE);
    expect(stdout).toContain('nbgrid@host');
  });

  it('map: task names and warnings', async () => {
    jest.spyOn(t.jobs, 'map').mockResolvedValueOnce({
      task_group: '0000000a',
      job: 'evil',
      count: 1,
      require: 'default',
      tasks: [{ name: 'tasks/evil/0000000a-0\x1b]0;t\x07', task_id: 'id\x9b2J' }],
      warnings: [`no live worker serves the label 'default' ${EVIL}`]
    });
    const { stdout, stderr } = await nbgrid('map', 'evil', '--params', '[1]');
    expect(stdout + stderr).not.toMatch(ACTIVE);
    expect(stdout).toContain('started tasks/evil/0000000a-0.ipynb => id\n');
    expect(stderr).toBe("warning: no live worker serves the label 'default' ValueError: gone\n");
  });

  it('errors: a message from the service', async () => {
    jest.spyOn(t.jobs, 'cancel').mockRejectedValueOnce(new InvalidInputError(`cannot cancel: ${EVIL}`));
    const { stdout, stderr } = await nbgrid('cancel', 'evil');
    expect(stdout).toBe('');
    expect(stderr).not.toMatch(ACTIVE);
    expect(stderr).toBe('nbgrid: POST /api/jobs/evil/cancel failed (400): cannot cancel: ValueError: gone\n');
  });
});
