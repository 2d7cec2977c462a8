/**
 * `nbgrid up --preload`: the kernel fork server imports the modules once and every forked kernel
 * starts with them, its random generators reseeded (a map over several tasks never draws the same
 * number twice); a module that leaves a thread or an open descriptor in the server, or does not
 * import, is refused with a message naming it, and the gateway does not start (nor falls back).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PreloadRefusedError, startGateway, upStack, venvBin } from '../../../../worker/src/stack';
import { TestApi } from '../../support/api';
import { notebook } from '../../support/notebooks';

jest.setTimeout(300000);

const DRAWS = notebook([
  { source: "job = globals().get('job', {'param': 0})", tags: ['parameters'] },
  // before the notebook imports anything: what the kernel started with
  "import sys\npreloaded = sorted(m for m in ('numpy', 'matplotlib') if m in sys.modules)",
  'import os, random\nimport numpy as np\nimport matplotlib',
  [
    "job['result'] = {'param': job['param'], 'preloaded': preloaded, 'pid': os.getpid(),",
    "                 'legacy': float(np.random.rand()), 'generator': float(np.random.default_rng().random()),",
    "                 'random': random.random(), 'backend': matplotlib.get_backend()}"
  ].join('\n')
]);

interface IDraw {
  param: number;
  preloaded: string[];
  pid: number;
  legacy: number;
  generator: number;
  random: number;
  backend: string;
}

it('forked kernels start with the preloaded modules and draw different random numbers in every task', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-preload-'));
  const log: string[] = [];
  const stack = await upStack({ home, workers: 2, detached: false, preload: ['numpy', 'matplotlib'], log: (line) => log.push(line) });
  try {
    expect(stack.info.kernel_launch).toBe('fork');
    expect(stack.info.preload).toEqual(['numpy', 'matplotlib']);
    expect(log).toContainEqual(expect.stringMatching(/preloaded numpy, matplotlib/));
    const api = new TestApi(stack.info);
    await api.put('draws', DRAWS);
    const params = [1, 2, 3, 4, 5, 6, 7, 8];
    const group = await api.map('draws', { params });
    const rows = await api.waitDone('draws', group.task_group, 240000);
    expect(rows.map((r) => r.status)).toEqual(params.map(() => 'SUCCESS'));
    const draws = (await api.call<{ results: IDraw[] }>('GET', `/api/jobs/draws/results?task_group=${group.task_group}`)).body.results;
    expect(draws).toHaveLength(params.length);
    for (const d of draws) expect(d.preloaded).toEqual(['matplotlib', 'numpy']);
    expect(new Set(draws.map((d) => d.pid)).size).toBe(params.length);
    for (const key of ['legacy', 'generator', 'random'] as const) {
      expect([key, new Set(draws.map((d) => d[key])).size]).toEqual([key, params.length]);
    }
    // matplotlib read MPLBACKEND in the server; the kernel gets the backend a fresh import would pick
    expect(new Set(draws.map((d) => d.backend))).toEqual(new Set(['module://matplotlib_inline.backend_inline']));
  } finally {
    await stack.down();
    fs.rmSync(home, { recursive: true, force: true });
  }
});

describe('refused preloads', () => {
  let dir: string;
  /** The project's Python with a directory of test modules on its path: the fork server's interpreter here. */
  let python: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-preload-refused-'));
    const modules = path.join(dir, 'modules');
    fs.mkdirSync(modules);
    fs.writeFileSync(
      path.join(modules, 'nbgrid_starts_thread.py'),
      "import threading\n_stop = threading.Event()\nthreading.Thread(target=_stop.wait, name='import-time-worker', daemon=True).start()\n"
    );
    fs.writeFileSync(path.join(modules, 'nbgrid_opens_socket.py'), 'import socket\n_sock = socket.socket()\n');
    fs.writeFileSync(path.join(modules, 'nbgrid_imports_fine.py'), 'VALUE = 1\n');
    python = path.join(dir, 'python');
    fs.writeFileSync(python, `#!/bin/sh\nPYTHONPATH='${modules}' exec '${venvBin('python')}' "$@"\n`, { mode: 0o755 });
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const refusal = async (modules: string[]): Promise<Error> => {
    const gwDir = fs.mkdtempSync(path.join(dir, 'gw-'));
    const logged: string[] = [];
    try {
      const gateway = await startGateway({ dir: gwDir, kernelLaunch: 'fork', preload: modules, forkServerPython: python, log: (l) => logged.push(l) });
      await gateway.stop();
      throw new Error(`the gateway started with preload ${modules.join(',')}`);
    } catch (err) {
      expect(logged).toEqual([]); // a refusal is not a silent fallback to spawned kernels
      expect(err).toBeInstanceOf(PreloadRefusedError);
      return err as Error;
    }
  };

  it('refuses a module that starts a thread at import, naming it and the thread', async () => {
    const err = await refusal(['nbgrid_imports_fine', 'nbgrid_starts_thread']);
    expect(err.message).toMatch(/^cannot preload nbgrid_starts_thread: importing it left threads running in the fork server \(import-time-worker\)/);
  });

  it('refuses a module that leaves a socket open', async () => {
    const err = await refusal(['nbgrid_opens_socket']);
    expect(err.message).toMatch(/^cannot preload nbgrid_opens_socket: importing it left file descriptors open in the fork server \(\d+ -> socket:/);
  });

  it('refuses a module that does not import', async () => {
    const err = await refusal(['nbgrid_no_such_module']);
    expect(err.message).toMatch(/^cannot preload nbgrid_no_such_module: importing it failed: ModuleNotFoundError/);
  });
});
