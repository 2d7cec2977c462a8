/**
 * The rule by which the CLI finds the service, against the cases the Python client is tested with
 * too (test/fixtures/stack-discovery-cases.json), plus where `nbgrid up` writes and how privately.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { errorAnswerMessage, resolveEndpoint, CliError } from '../../../../worker/src/cli/api-client';
import { nbgridHome } from '../../../../worker/src/stack/paths';
import { discoverService } from '../../../../worker/src/stack/service-discovery';
import { ServiceNotConfiguredError } from '../../../../worker/src/stack/service-not-configured-error';
import { readStack, stackFile, writeStack, type IStackInfo } from '../../../../worker/src/stack/stack-file';

interface ICase {
  name: string;
  files: Record<string, unknown>;
  up?: Partial<IStackInfo>;
  env: Record<string, string>;
  cwd: string;
  expect?: { url: string; token: string | null; source: string };
  error_contains?: string[];
}

const fixture = path.join(__dirname, '..', '..', '..', 'fixtures', 'stack-discovery-cases.json');
const { cases } = JSON.parse(fs.readFileSync(fixture, 'utf8')) as { cases: ICase[] };

const stackInfo = (fields: Partial<IStackInfo>): IStackInfo => ({
  api_url: '',
  token: '',
  redis_url: 'redis://127.0.0.1:1',
  mongo_url: 'mongodb://127.0.0.1:2/nbgrid',
  gateway_url: 'http://127.0.0.1:3',
  gateway_token: 'g',
  run_dir: '/nonexistent',
  pids: {},
  ...fields
});

describe('finding the running stack (shared cases with the Python client)', () => {
  let tmp: string;
  beforeEach(() => {
    // realpath: the expected paths are compared as strings, and a temp dir may sit behind a symlink.
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-discovery-')));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const fill = (text: string): string => text.split('{tmp}').join(tmp);

  it('has cases, among them the one of issue 13', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
    expect(cases.some((c) => c.name.startsWith('issue 13') && c.up && !c.env.NBGRID_HOME)).toBe(true);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    for (const [rel, content] of Object.entries(c.files)) {
      const file = path.join(tmp, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    }
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, fill(v)]));
    if (c.up) writeStack(nbgridHome(env), stackInfo(c.up));
    const cwd = path.join(tmp, c.cwd);
    fs.mkdirSync(cwd, { recursive: true });
    if (c.expect) {
      expect(discoverService(env, cwd)).toEqual({ ...c.expect, source: fill(c.expect.source) });
      expect(resolveEndpoint(env, cwd).url).toBe(c.expect.url);
    } else {
      let caught: unknown;
      try {
        discoverService(env, cwd);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ServiceNotConfiguredError);
      for (const part of c.error_contains ?? []) expect((caught as Error).message).toContain(fill(part));
      // The CLI prints it as one line, without a stack trace.
      expect(() => resolveEndpoint(env, cwd)).toThrow(CliError);
    }
  });
});

describe('where `nbgrid up` writes stack.json', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-stackfile-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('uses NBGRID_HOME, else ~/.nbgrid of HOME', () => {
    expect(nbgridHome({ HOME: '/home/ada' })).toBe('/home/ada/.nbgrid');
    expect(nbgridHome({ HOME: '/home/ada', NBGRID_HOME: '/srv/stack' })).toBe('/srv/stack');
    expect(nbgridHome({ HOME: '/home/ada', NBGRID_HOME: '~/stacks/a' })).toBe('/home/ada/stacks/a');
    expect(nbgridHome({ HOME: '/home/ada', NBGRID_HOME: '' })).toBe('/home/ada/.nbgrid');
  });

  it('keeps the token private: the file is 0600 in a 0700 folder it creates, rewritten whole', () => {
    const home = path.join(tmp, 'user', '.nbgrid');
    writeStack(home, stackInfo({ api_url: 'http://127.0.0.1:1', token: 'secret' }));
    expect(fs.statSync(stackFile(home)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(home).mode & 0o777).toBe(0o700);
    fs.chmodSync(stackFile(home), 0o644);
    writeStack(home, stackInfo({ api_url: 'http://127.0.0.1:2', token: 'secret' }));
    expect(fs.statSync(stackFile(home)).mode & 0o777).toBe(0o600);
    expect(readStack(home)?.api_url).toBe('http://127.0.0.1:2');
    expect(fs.readdirSync(home)).toEqual(['stack.json']);
  });
});

describe('error answers in the CLI', () => {
  it("adds the hint's fix to the message", () => {
    const body = { statusCode: 503, error: 'Service Unavailable', message: 'MongoDB is unreachable (x)', hint: { code: 'mongo_unavailable', part: 'mongodb', fix: 'start MongoDB again' } };
    expect(errorAnswerMessage(JSON.stringify(body))).toBe('MongoDB is unreachable (x) (start MongoDB again)');
    expect(errorAnswerMessage(JSON.stringify({ message: 'bad name' }))).toBe('bad name');
    expect(errorAnswerMessage('<html>')).toBe('<html>');
  });
});

describe('the upward search', () => {
  it('follows a symlinked working directory to its real parents, as the Python client does', () => {
    const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-symlink-')));
    try {
      fs.mkdirSync(path.join(tmp, 'real', '.nbgrid'), { recursive: true });
      fs.mkdirSync(path.join(tmp, 'real', 'nb'));
      fs.writeFileSync(path.join(tmp, 'real', '.nbgrid', 'stack.json'), JSON.stringify({ api_url: 'http://127.0.0.1:9', token: 't' }));
      fs.mkdirSync(path.join(tmp, 'links'));
      fs.symlinkSync(path.join(tmp, 'real', 'nb'), path.join(tmp, 'links', 'nb'));
      const found = discoverService({ HOME: path.join(tmp, 'user') }, path.join(tmp, 'links', 'nb'));
      expect(found.source).toBe(path.join(tmp, 'real', '.nbgrid', 'stack.json'));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
