/**
 * One rule per kind of name (worker/src/domain/names.ts): every door that takes a notebook name or
 * a worker label accepts exactly what the others accept, and refuses with the same message.
 */
import type { CommanderError } from 'commander';
import { labelProblem, nameProblem } from '../../../../worker/src/domain/names';
import * as names from '../../../../worker/src/domain/names';
import * as dialogRule from '../../../../src/label-rule';
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

/** Parses `nbgrid worker --label ...` and returns the error commander raised. */
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

describe('a worker label', () => {
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

describe('a worker label that is a Redis key kombu, Celery or nbgrid uses', () => {
  it.each([
    ['unacked', 'unacked'],
    ['unacked_index', 'unacked_index'],
    ['unacked_mutex', 'unacked_mutex'],
    ['celery', 'celery'],
    ['celery-revoked', 'celery-revoked'],
    ['celeryev', 'celeryev'],
    ['_kombu.binding.celery', '_kombu.*'],
    ['_kombu.binding_deadlines', '_kombu.*'],
    ['celery-task-meta-0d1e', 'celery-task-meta-*'],
    ['celery-taskset-meta-1', 'celery-taskset-meta-*'],
    ['chord-unlock-1', 'chord-unlock-*'],
    ['celeryev.6f1c', 'celeryev.*'],
    ['node1.celery.pidbox', '*.pidbox'],
    ['abc.reply.celery.pidbox', '*.pidbox'],
    ['celery-unacked-owner', 'celery-unacked-owner'],
    ['celery-unacked-holders', 'celery-unacked-holders'],
    ['celery-unacked-held.w1', 'celery-unacked-held.*'],
    ['celery-worker-alive.w1', 'celery-worker-alive.*']
  ])('%j is refused by map (nothing queued) and by the worker, naming the reserved word %j', async (label, word) => {
    await t.app.inject({ method: 'PUT', url: '/api/notebooks/main', headers: AUTH, payload: { content: notebook() } });
    const map = await t.app.inject({ method: 'POST', url: '/api/jobs/main/map', headers: AUTH, payload: { params: [1], require: label } });
    expect(map.statusCode).toBe(400);
    const message = `require ${JSON.stringify(label)} is reserved: '${word}' is a Redis key name that kombu, Celery or nbgrid uses`;
    expect(map.json().message).toContain(message);
    expect(map.json().message).toMatch(/choose another label, e\.g\. "[A-Za-z0-9]+-q"$/);
    expect(labelProblem(label, 'require')).toBe(map.json().message);

    const { error, stderr } = await workerCli(label);
    expect(error.code).toBe('commander.invalidArgument');
    expect(stderr).toContain(`--label ${JSON.stringify(label)} is reserved: '${word}'`);
  });

  it.each(['unacked2', 'Unacked', 'my_unacked', 'celery2', 'kombu.binding', 'pidbox', 'celery.pidbox.x'])('%j, which no kombu key takes, is a label', (label) => {
    expect(labelProblem(label, 'require')).toBeNull();
  });
});

describe('the Map dialog label check (src/label-rule.ts)', () => {
  it('restates the reserved key names of domain/names.ts exactly', () => {
    expect(dialogRule.RESERVED_LABELS).toEqual(names.RESERVED_LABELS);
    expect(dialogRule.RESERVED_LABEL_PREFIXES).toEqual(names.RESERVED_LABEL_PREFIXES);
    expect(dialogRule.RESERVED_LABEL_SUFFIXES).toEqual(names.RESERVED_LABEL_SUFFIXES);
  });

  it.each(['gpu', 'gpu-q', 'a.b_c', 'unacked', 'celery', '_kombu.binding.x', 'node.celery.pidbox', 'celeryev.abc', 'bad label', ''])(
    'refuses %j exactly when the service does',
    (label) => {
      expect(dialogRule.labelError(label) === null).toBe(labelProblem(label) === null);
    }
  );
});
