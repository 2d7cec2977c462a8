/**
 * The opt-in `fork` kernel launch mode against a real Kernel Gateway and a real kernel fork server
 * (`startGateway({ kernelLaunch: 'fork' })`): notebooks execute with their outputs, every task
 * gets a new process (its own pid, namespace and random state) forked from the server, kernels see
 * exactly the environment the gateway gives (the same keys as a spawned kernel, no secrets),
 * interrupts and cell timeouts reach the kernel, a launcher killed with SIGKILL takes its kernel
 * with it, and stopping the gateway or the whole stack (`nbgrid down`'s path) leaves no process.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { executeNotebook, KernelPool, type INotebook } from '../../../../worker/src/executor';
import { GatewayClient } from '../../../../worker/src/executor/gateway-client';
import { KernelSession } from '../../../../worker/src/executor/kernel-session';
import { downStack, startGateway, upStack, type IStartedGateway } from '../../../../worker/src/stack';
import { TestApi } from '../../support/api';
import { notebook } from '../../support/notebooks';

jest.setTimeout(180000);

const SECRET = 'fork-mode-canary-must-not-reach-kernels';

interface IProcessInfo {
  pid: number;
  ppid: number;
  state: string;
  cmdline: string;
}

/** Every process on the machine (zombies included, with state Z). */
function processes(): IProcessInfo[] {
  const found: IProcessInfo[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      found.push({ pid: Number(entry), state: fields[0], ppid: Number(fields[1]), cmdline });
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

const alive = (pid: number): boolean => processes().some((p) => p.pid === pid && p.state !== 'Z');
/** Processes whose command line names `dir`: gateway, fork server, launchers and forked kernels (forks keep the server's). */
const mentioning = (dir: string): IProcessInfo[] => processes().filter((p) => p.state !== 'Z' && p.cmdline.includes(dir));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a gateway with NBGRID_*, *SECRET* variables and a marker directory on PATH in the environment it inherits. */
async function gatewayWithCanaries(dir: string, kernelLaunch: 'spawn' | 'fork', marker: string): Promise<IStartedGateway> {
  const saved = { PATH: process.env.PATH, NBGRID_FORK_CANARY: process.env.NBGRID_FORK_CANARY, FORK_SECRET: process.env.FORK_SECRET };
  process.env.PATH = `${marker}${path.delimiter}${process.env.PATH}`;
  process.env.NBGRID_FORK_CANARY = SECRET;
  process.env.FORK_SECRET = SECRET;
  try {
    return await startGateway({ dir, kernelLaunch });
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

const PROBE = [
  "assert 'left_by_earlier_task' not in globals(), 'a variable of an earlier task is visible'",
  'import os, random, sys',
  'left_by_earlier_task = 1',
  "print('hello from a kernel')"
].join('\n');
const REPORT = [
  'ppid = os.getppid()',
  "read = lambda p: open(p, 'rb').read().decode(errors='replace')",
  "job = {'result': {'pid': os.getpid(), 'ppid': ppid, 'sid': os.getsid(0), 'random': random.random(),",
  "                  'env': dict(os.environ), 'proc_environ': read('/proc/self/environ'),",
  "                  'parent_environ': read(f'/proc/{ppid}/environ'), 'parent_cmdline': read(f'/proc/{ppid}/cmdline'),",
  "                  'batch': {'argv0': sys.argv[0], 'debugpy': 'debugpy' in sys.modules, 'history': get_ipython().history_manager.enabled}}}"
].join('\n');

function probe(): INotebook {
  return notebook([PROBE, '1 + 1', "from IPython.display import HTML, display\ndisplay(HTML('<b>fork</b>'))", REPORT]) as unknown as INotebook;
}

interface IReport {
  pid: number;
  ppid: number;
  sid: number;
  random: number;
  env: Record<string, string>;
  proc_environ: string;
  parent_environ: string;
  parent_cmdline: string;
  batch: { argv0: string; debugpy: boolean; history: boolean };
}

describe('a gateway in fork mode', () => {
  let dir: string;
  let marker: string;
  let gateway: IStartedGateway;
  let client: GatewayClient;

  const run = (nb: INotebook = probe(), options: { cellTimeout?: number } = {}) =>
    executeNotebook(nb, { gatewayUrl: gateway.url, token: gateway.token, ...options });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-fork-gw-'));
    marker = path.join(dir, 'marker-bin');
    fs.mkdirSync(marker);
    gateway = await gatewayWithCanaries(path.join(dir, 'gw'), 'fork', marker);
    client = new GatewayClient(gateway.url, gateway.token);
  });

  afterAll(async () => {
    await gateway?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    expect(await client.listKernels()).toEqual([]);
  });

  it('runs a fork server whose socket is private', () => {
    expect(gateway.kernelLaunch).toBe('fork');
    expect(gateway.forkServer && alive(gateway.forkServer.pid)).toBe(true);
    const socket = path.join(dir, 'gw', 'kernel-fork', 'fork.sock');
    expect(fs.statSync(socket).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(socket)).mode & 0o777).toBe(0o700);
  });

  it('executes a notebook with its outputs in a kernel forked from the fork server', async () => {
    const result = await run();
    expect(result.status).toBe('ok');
    const [first, second, third] = result.notebook.cells;
    expect(first.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'hello from a kernel\n' }]);
    expect(second.outputs).toEqual([expect.objectContaining({ output_type: 'execute_result', data: { 'text/plain': '2' } })]);
    expect(third.outputs).toEqual([expect.objectContaining({ output_type: 'display_data', data: expect.objectContaining({ 'text/html': '<b>fork</b>' }) })]);
    const report = result.result as unknown as IReport;
    expect(report.ppid).toBe(gateway.forkServer!.pid);
    expect(report.sid).toBe(report.pid); // its own session, as jupyter_client starts kernels
    expect(report.parent_cmdline).toContain('nbgrid.kernels.forkserver');
  });

  it('gives every task a new process: its own pid, namespace and random state', async () => {
    const sequential = [await run(), await run()];
    const concurrent = await Promise.all([run(), run(), run()]);
    const reports = [...sequential, ...concurrent].map((r) => {
      expect(r.status).toBe('ok'); // the probe asserts that no earlier task's variable is visible
      return r.result as unknown as IReport;
    });
    expect(new Set(reports.map((r) => r.pid)).size).toBe(reports.length);
    expect(new Set(reports.map((r) => r.random)).size).toBe(reports.length);
    expect(reports.every((r) => r.ppid === gateway.forkServer!.pid)).toBe(true);
  });

  it("gives the kernel the gateway's environment, the same keys as a spawned kernel, and no secret", async () => {
    const forked = (await run()).result as unknown as IReport;
    const spawnGateway = await gatewayWithCanaries(path.join(dir, 'gw-spawn'), 'spawn', marker);
    let spawned: IReport;
    try {
      const result = await executeNotebook(probe(), { gatewayUrl: spawnGateway.url, token: spawnGateway.token });
      spawned = result.result as unknown as IReport;
    } finally {
      await spawnGateway.stop();
    }
    expect(spawned.ppid).not.toBe(forked.ppid);
    // both are the batch kernel (nbgrid/kernels/batch.py): no debugger support, no history database
    for (const report of [forked, spawned]) {
      expect(report.batch).toEqual({ argv0: expect.stringMatching(/nbgrid\/kernels\/batch\.py$/), debugpy: false, history: false });
    }
    expect(Object.keys(forked.env).sort()).toEqual(Object.keys(spawned.env).sort());
    expect(forked.env.PATH).toBe(spawned.env.PATH);
    expect(forked.env.PATH.split(path.delimiter)[0]).toBe(marker); // the gateway's PATH, as the gateway passed it
    expect(forked.env.KERNEL_GATEWAY).toBe('1');
    expect(forked.env.JPY_PARENT_PID).toBe(String(gateway.process!.pid));
    for (const text of [JSON.stringify(forked.env), forked.proc_environ, forked.parent_environ]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(gateway.token);
      expect(text).not.toMatch(/NBGRID_/);
    }
  });

  it('interrupts a running cell through the gateway: the kernel raises KeyboardInterrupt', async () => {
    const { session } = await KernelSession.start(client, 'python3', { startTimeout: 60 });
    try {
      const errors: string[] = [];
      const replied = session.execute(
        { code: 'import time\ntime.sleep(60)', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
        { onIOPub: (msg) => msg.header.msg_type === 'error' && errors.push(String((msg.content as { ename?: string }).ename)), onReply: () => undefined },
        { cellIndex: 0, ms: 30000 }
      );
      await new Promise((r) => setTimeout(r, 1500));
      await session.interrupt(); // POST /api/kernels/<id>/interrupt, the call a cell timeout makes
      const reply = await replied;
      expect(reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
      expect(errors).toEqual(['KeyboardInterrupt']);
    } finally {
      await session.shutdown();
    }
  });

  it('fails a cell that exceeds the cell timeout and leaves no kernel behind', async () => {
    const began = Date.now();
    const result = await run(notebook(["print('sleeping')", 'import time\ntime.sleep(30)']) as unknown as INotebook, { cellTimeout: 2 });
    expect(Date.now() - began).toBeLessThan(20000);
    expect(result.error).toMatchObject({ kind: 'timeout', cellIndex: 1, ename: 'CellTimeoutError' });
  });

  it('kills the forked kernel and its subprocesses when its launcher is killed with SIGKILL', async () => {
    const { session } = await KernelSession.start(client, 'python3', { startTimeout: 60 });
    try {
      let text = '';
      await session.execute(
        {
          code: "import os, subprocess\nchild = subprocess.Popen(['sleep', '300'])\nprint(os.getpid(), child.pid)",
          silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true
        },
        { onIOPub: (msg) => msg.header.msg_type === 'stream' && (text += String((msg.content as { text?: string }).text)), onReply: () => undefined },
        { cellIndex: 0, ms: 30000 }
      );
      const [kernelPid, sleepPid] = text.trim().split(' ').map(Number);
      expect(alive(kernelPid) && alive(sleepPid)).toBe(true);
      const launchers = processes().filter((p) => p.ppid === gateway.process!.pid && p.cmdline.includes('launcher.py'));
      expect(launchers).toHaveLength(1);
      process.kill(launchers[0].pid, 'SIGKILL');
      await until('the forked kernel and its subprocess to die', () => !alive(kernelPid) && !alive(sleepPid), 10000);
    } finally {
      await session.shutdown(); // the gateway may have restarted the kernel meanwhile
    }
    await until('no launcher or forked kernel left', () => mentioning(dir).every((p) => p.pid === gateway.process!.pid || p.pid === gateway.forkServer!.pid));
  });
});

describe('stopping in fork mode', () => {
  it('stopping the gateway stops the fork server and every kernel', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-fork-stop-'));
    const gateway = await startGateway({ dir, kernelLaunch: 'fork' });
    const pool = new KernelPool({ gatewayUrl: gateway.url, token: gateway.token, size: 2 }).start();
    try {
      await until('2 ready kernels', () => pool.idleCount() === 2, 60000);
      // gateway, fork server, 2 launchers, 2 forked kernels
      expect(mentioning(dir).length).toBeGreaterThanOrEqual(6);
      await gateway.stop();
      await until('no process of the gateway', () => mentioning(dir).length === 0, 15000);
      expect(alive(gateway.forkServer!.pid)).toBe(false);
    } finally {
      await pool.close().catch(() => undefined);
      await gateway.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('puts the socket in a private temp dir when the run directory is too deep for a socket path, and removes it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-fork-deep-'));
    const deep = path.join(dir, 'a-directory-name-long-enough'.repeat(3), 'gateway');
    const before = new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('nbgrid-fork-') && !n.startsWith('nbgrid-fork-deep-')));
    const gateway = await startGateway({ dir: deep, kernelLaunch: 'fork' });
    try {
      const made = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('nbgrid-fork-') && !n.startsWith('nbgrid-fork-deep-') && !before.has(n));
      expect(made).toHaveLength(1);
      expect(fs.statSync(path.join(os.tmpdir(), made[0])).mode & 0o777).toBe(0o700);
      const result = await executeNotebook(probe(), { gatewayUrl: gateway.url, token: gateway.token });
      expect((result.result as unknown as IReport).ppid).toBe(gateway.forkServer!.pid);
      await gateway.stop();
      expect(fs.existsSync(path.join(os.tmpdir(), made[0]))).toBe(false);
    } finally {
      await gateway.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a whole stack maps in fork mode, and `nbgrid down` leaves no process', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-fork-stack-'));
    const stack = await upStack({ home, workers: 2, detached: false, kernelLaunch: 'fork' });
    try {
      const forkServer = stack.info.pids.kernelforkserver;
      expect(forkServer).toBeGreaterThan(0);
      const api = new TestApi(stack.info);
      await api.put('forked', notebook([{ source: "job = globals().get('job', {'param': 9})", tags: ['parameters'] }, 'import os', "job['result'] = [os.getpid(), os.getppid()]"]));
      const group = await api.map('forked', { params: [1, 2, 3, 4] });
      const rows = await api.waitDone('forked', group.task_group);
      expect(rows.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
      const results = (await api.call<{ results: [number, number][] }>('GET', `/api/jobs/forked/results?task_group=${group.task_group}`)).body.results;
      expect(results.every(([, ppid]) => ppid === forkServer)).toBe(true);
      expect(new Set(results.map(([pid]) => pid)).size).toBe(4);
      expect(await downStack(home)).toEqual(expect.arrayContaining(['kernelgateway', 'kernelforkserver']));
      await until('no process of the stack', () => mentioning(home).length === 0, 15000);
    } finally {
      await stack.down();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
