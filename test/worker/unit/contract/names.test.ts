/**
 * One rule per kind of name (worker/src/domain/names.ts): every door that takes a notebook name or
 * a worker label accepts exactly what the others accept, and refuses with the same message.
 */
import type { CommanderError } from 'commander';
import { labelProblem, nameProblem } from '../../../../worker/src/domain/names';
import { buildProgram } from '../../../../worker/src/cli';
import { validateName } from '../../../../worker/src/notebooks/task-names';
import { AUTH, makeApp, notebook, type ITestApp } from '../service/helpers';

let t: ITestApp;
beforeAll(() => {
  t = makeApp();
});
afterAll(async () => {
  await t.app.close();
});

/** What the route answers to storing a notebook under `name`. */
async function putNotebook(name: string): Promise<{ statusCode: number; message?: string }> {
  const res = await t.app.inject({
    method: 'PUT',
    url: `/api/notebooks/${encodeURIComponent(name)}`,
    headers: AUTH,
    payload: { content: notebook() }
  });
  return { statusCode: res.statusCode, message: res.json().message };
}

/** What the job service's check (`validateName`, called by every JobService method) says. */
function serviceProblem(name: string): string | null {
  try {
    validateName(name);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('a notebook name', () => {
  it.each([
    ['a C1 control character (U+0085)', 'report\u0085s'],
    ['a C1 control character (U+009F)', 'a/b\u009f'],
    ['DEL', 'a\u007fb'],
    ['a C0 control character', 'a\tb']
  ])('with %s is refused by the route and the service with the same message', async (_what, name) => {
    const route = await putNotebook(name);
    expect(route.statusCode).toBe(400);
    expect(route.message).toMatch(/contains the control character U\+00[0-9A-F]{2} at position \d+: remove it$/);
    expect(serviceProblem(name)).toBe(route.message);
    expect(nameProblem(name, 'notebook name')).toBe(route.message);
  });

  it('of 300 emoji (600 UTF-16 units, 300 characters) is accepted by the route and the service', async () => {
    const name = '😀'.repeat(300);
    expect((await putNotebook(name)).statusCode).toBe(200);
    expect(serviceProblem(name)).toBeNull();
  });

  it('of 513 emoji is refused by both, counting characters the same way', async () => {
    const name = '😀'.repeat(513);
    const route = await putNotebook(name);
    expect(route.statusCode).toBe(400);
    expect(route.message).toBe('notebook name is 513 characters long; at most 512 are allowed');
    expect(serviceProblem(name)).toBe(route.message);
  });
});

describe('a worker label', () => {
  async function workerCli(...labels: string[]): Promise<{ error: CommanderError; stderr: string }> {
    const program = buildProgram();
    let stderr = '';
    const worker = program.commands.find((c) => c.name() === 'worker');
    if (!worker) throw new Error('nbgrid has no worker command');
    worker.exitOverride().configureOutput({ writeErr: (s) => (stderr += s), writeOut: () => undefined });
    const args = labels.flatMap((l) => ['--label', l]);
    const error = await program.parseAsync(['node', 'nbgrid', 'worker', ...args]).then(
      () => {
        throw new Error('the worker started');
      },
      (err: CommanderError) => err
    );
    return { error, stderr };
  }

  it.each(['my:gpu', 'g p u', 'x'.repeat(65), ''])('%j that no map can name is refused by the worker', async (label) => {
    const map = await t.app.inject({
      method: 'POST',
      url: '/api/jobs/main/map',
      headers: AUTH,
      payload: { params: [1], require: label }
    });
    expect(map.statusCode).toBe(400);
    expect(labelProblem(label, 'require')).toMatch(/^require must be a worker label \(1-64 characters from A-Z a-z 0-9 _ \. -, e\.g\. "gpu"\)/);

    const { error, stderr } = await workerCli('default', label);
    expect(error.code).toBe('commander.invalidArgument');
    expect(stderr).toContain(`--label must be a worker label (1-64 characters from A-Z a-z 0-9 _ . -, e.g. "gpu"), got ${JSON.stringify(label)}`);
  });

  it.each(['gpu', 'default', 'a.b-c_1', 'x'.repeat(64)])('%j is accepted by the worker and by map', async (label) => {
    await t.app.inject({ method: 'PUT', url: '/api/notebooks/main', headers: AUTH, payload: { content: notebook() } });
    const map = await t.app.inject({ method: 'POST', url: '/api/jobs/main/map', headers: AUTH, payload: { params: [1], require: label } });
    expect(map.statusCode).toBe(201);
    expect(labelProblem(label, '--label')).toBeNull();
    expect(labelProblem(label, 'require')).toBeNull();
  });
});
