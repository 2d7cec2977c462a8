/**
 * What a notebook can reach on a stack started like `nbgrid up`: its kernel starts in a private
 * directory of its own, outside the stack's, and neither the API token, the gateway token nor the
 * Redis password is in a file of that directory or of its parents, in its environment or argv, or
 * in those of the gateway that started it (nor in a file its command line names). Redis refuses a
 * client without the password (which is on no command line), Python Celery still connects with
 * the stack's URL, and the data directories are private.
 */
import * as fs from 'fs';
import * as path from 'path';
import Redis from 'ioredis';
import { pingRedis, REDIS_CONFIG_FILE, type IRunningStack } from '../../../../worker/src/stack';
import type { TestApi } from '../../support/api';
import { usePrivateStack } from '../../support/private-stack';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { runPython } from '../celery/support/python';

let stack: IRunningStack;
let api: TestApi;
let home: string;

usePrivateStack('nbgrid-reach-', { workers: 1 }, (s) => {
  ({ stack, api, home } = s);
});

/** Looks for each secret everywhere the brief says a notebook must not find it; returns where it did. */
const SEARCH = String.raw`
import os, sys, json
secrets = job['param']['secrets']
found, checked = [], []

def look(text, where):
    checked.append(where)
    for i, s in enumerate(secrets):
        if s in text:
            found.append([i, where])

def read(p):
    try:
        if os.path.isfile(p) and os.path.getsize(p) < 20_000_000:
            with open(p, 'rb') as f:
                look(f.read().decode('utf-8', 'replace'), p)
    except OSError:
        pass

cwd = os.getcwd()
for root, dirs, files in os.walk(cwd):
    for name in files:
        read(os.path.join(root, name))
d = cwd
while os.path.dirname(d) != d:
    d = os.path.dirname(d)
    try:
        for name in os.listdir(d):
            read(os.path.join(d, name))
    except OSError:
        pass
look(json.dumps(dict(os.environ)), 'env')
look(json.dumps(sys.argv), 'argv')
read('/proc/self/cmdline')
read('/proc/self/environ')
parent = os.getppid()
read(f'/proc/{parent}/cmdline')
read(f'/proc/{parent}/environ')
with open(f'/proc/{parent}/cmdline', 'rb') as f:
    for arg in f.read().decode().split('\0'):
        value = arg.split('=', 1)[-1]
        if value.startswith('/'):
            read(value)
job['result'] = {'cwd': cwd, 'found': found, 'checked': len(checked), 'mode': oct(os.stat(cwd).st_mode & 0o777)}
`;

it('a notebook finds no token or password in its working directory, its parents, its env or argv, or its gateway', async () => {
  const password = decodeURIComponent(new URL(stack.info.redis_url).password);
  const secrets = [stack.info.token, stack.info.gateway_token, password];
  expect(secrets.every((s) => s.length >= 32)).toBe(true);
  await api.put('reach', notebook([PARAM_CELL, SEARCH]));
  const m = await api.map('reach', { params: [{ secrets }] });
  const rows = await api.waitDone('reach', m.task_group);
  expect(rows.map((r) => r.run_status)).toEqual(['OK']);
  const results = (await api.call<{ results: { cwd: string; found: [number, string][]; checked: number; mode: string }[] }>('GET', '/api/jobs/reach/results')).body;
  const [seen] = results.results;
  expect(seen.found).toEqual([]);
  expect(seen.checked).toBeGreaterThan(8); // env, argv, /proc, and files in the cwd's parents were read
  expect(seen.mode).toBe('0o700');
  // The working directory is no part of the stack's directory, so walking up from it finds no stack.json.
  expect(path.relative(home, seen.cwd).startsWith('..')).toBe(true);
  expect(path.basename(seen.cwd)).toMatch(/^nbgrid-kernels-/);
  // The gateway's token file is gone once the gateway has read it.
  expect(fs.existsSync(path.join(stack.info.run_dir, 'gateway', 'kernelgateway_config.json'))).toBe(false);
});

it('Redis refuses a client without the password, and no process has the password on its command line', async () => {
  const url = new URL(stack.info.redis_url);
  const port = Number(url.port);
  const password = decodeURIComponent(url.password);
  expect(password.length).toBeGreaterThanOrEqual(32);
  expect(await pingRedis(port)).toBe(false);
  expect(await pingRedis(port, '127.0.0.1', 'wrong')).toBe(false);
  expect(await pingRedis(port, '127.0.0.1', password)).toBe(true);

  const anonymous = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await anonymous.connect();
    await expect(anonymous.get('unacked')).rejects.toThrow(/NOAUTH/);
  } finally {
    anonymous.disconnect();
  }
  const withPassword = new Redis(stack.info.redis_url, { maxRetriesPerRequest: 1 });
  try {
    expect(await withPassword.ping()).toBe('PONG');
  } finally {
    withPassword.disconnect();
  }
  for (const [name, pid] of Object.entries(stack.info.pids)) {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    expect([name, cmdline.includes(password)]).toEqual([name, false]);
  }
});

it('Python Celery reaches the stack with its Redis URL and gets a pong from its worker', async () => {
  const out = await runPython(stack.info.redis_url, 'celery', ['-A', 'peer_app', 'inspect', 'ping', '--timeout', '5']);
  expect(out).toMatch(/pong/);
});

it('the stack directory, the run directory and FerretDB data are private (0700), the secrets files 0600', () => {
  const mode = (p: string): string => (fs.statSync(p).mode & 0o777).toString(8);
  expect(mode(home)).toBe('700');
  expect(mode(stack.info.run_dir)).toBe('700');
  expect(mode(path.join(stack.info.run_dir, 'ferretdb'))).toBe('700');
  expect(mode(path.join(stack.info.run_dir, REDIS_CONFIG_FILE))).toBe('600');
  expect(mode(path.join(home, 'stack.json'))).toBe('600');
});
