/**
 * The warm kernel pool against a real Kernel Gateway: kernels are started before the task that
 * uses them, no kernel serves two tasks (fresh mode), one lease never goes to two tasks at once,
 * an idle kernel that dies is replaced, a start cut off by a gateway restart does not hold up the
 * next task, close() leaves no kernel behind, and the opt-in reuse mode resets the namespace.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { executeNotebook, KernelPool, type INotebook } from '../../../../worker/src/executor';
import { freePort, startGateway, type IStartedGateway } from '../../../../worker/src/stack';
import { listKernels, startTestGateway, VENV_PYTHON, type ITestGateway } from '../executor/gateway';

jest.setTimeout(180000);

let gateway: ITestGateway;

beforeAll(async () => {
  gateway = await startTestGateway();
});

afterAll(async () => {
  await gateway?.stop();
});

afterEach(async () => {
  // Every test closes its pool: no kernel may outlive it.
  expect(await listKernels(gateway)).toEqual([]);
});

function pool(size: number, extra: { kernelNames?: string[]; idleCheckMs?: number } = {}): KernelPool {
  return new KernelPool({ gatewayUrl: gateway.url, token: gateway.token, size, ...extra });
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

/** A notebook that fails if a variable of an earlier task is visible, and returns its pid and namespace id. */
function probe(): INotebook {
  const code = (source: string) => ({ cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: [
      code("assert 'left_by_earlier_task' not in globals(), 'a variable of an earlier task is visible'\nimport os"),
      code('left_by_earlier_task = 1\n1 + 1'),
      code("job = {'result': {'pid': os.getpid(), 'ns': id(globals())}}")
    ]
  };
}

function run(kernelPool: KernelPool, reuseKernel = false) {
  return executeNotebook(probe(), { gatewayUrl: gateway.url, token: gateway.token, kernelPool, reuseKernel });
}

describe('KernelPool', () => {
  it('starts kernels ahead of need: a task gets a kernel that was ready before it started', async () => {
    const p = pool(2).start();
    try {
      await until('2 ready kernels', () => p.idleCount() === 2);
      const ready = p.idleIds();
      const before = Date.now();
      const result = await run(p);
      expect(result.status).toBe('ok');
      expect(result.kernel?.pooled).toBe(true);
      expect(result.kernel!.readyAt).toBeLessThan(before);
      expect(ready).toContain(result.kernel!.id);
    } finally {
      await p.close();
    }
  });

  it('never runs two tasks in one kernel: fresh process and namespace each, sequential and concurrent', async () => {
    const p = pool(2).start();
    try {
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await run(p));
      results.push(...(await Promise.all([run(p), run(p), run(p)])));
      for (const r of results) expect(r.status).toBe('ok');
      const pids = results.map(r => (r.result as { pid: number }).pid);
      const ids = results.map(r => r.kernel!.id);
      expect(new Set(pids).size).toBe(results.length);
      expect(new Set(ids).size).toBe(results.length);
      expect(results.every(r => r.kernel!.uses === 0)).toBe(true);
    } finally {
      await p.close();
    }
  });

  it('hands each kernel to one acquirer only, also when acquirers outnumber ready kernels', async () => {
    const p = pool(2).start();
    try {
      const leases = await Promise.all(Array.from({ length: 5 }, () => p.acquire('python3')));
      const ids = leases.map(l => l!.session.model.id);
      expect(new Set(ids).size).toBe(5);
      for (const l of leases) l!.release();
    } finally {
      await p.close();
    }
  });

  it('replaces a kernel that died while idle', async () => {
    const p = pool(2, { idleCheckMs: 200 }).start();
    try {
      await until('2 ready kernels', () => p.idleCount() === 2);
      const [victim] = p.idleIds();
      const res = await fetch(`${gateway.url}/api/kernels/${victim}`, { method: 'DELETE', headers: { Authorization: `token ${gateway.token}` } });
      expect(res.status).toBe(204);
      await until('the dead kernel to be replaced', () => !p.idleIds().includes(victim) && p.idleCount() === 2);
      const result = await run(p);
      expect(result.status).toBe('ok');
      expect(result.kernel!.id).not.toBe(victim);
    } finally {
      await p.close();
    }
  });

  it('a kernel start cut off by a gateway restart neither holds up nor fails a task that asks after it', async () => {
    // A kernelspec whose kernel starts 3 s late, so that the gateway can go away while a start is in
    // flight (the gateway has answered the start request; the kernel has not answered kernel_info).
    const dir = mkdtempSync(join(tmpdir(), 'nbgrid-pool-restart-'));
    const specDir = join(dir, 'jupyter', 'kernels', 'slow-python3');
    mkdirSync(specDir, { recursive: true });
    const argv = ['/bin/sh', '-c', 'sleep 3; exec "$0" -m ipykernel_launcher -f "$1"', VENV_PYTHON, '{connection_file}'];
    writeFileSync(join(specDir, 'kernel.json'), JSON.stringify({ argv, display_name: 'Python 3 (slow start)', language: 'python' }));
    const savedPath = process.env.JUPYTER_PATH;
    process.env.JUPYTER_PATH = join(dir, 'jupyter');
    const port = await freePort();
    let gw: IStartedGateway | null = null;
    let p: KernelPool | null = null;
    try {
      gw = await startGateway({ dir: join(dir, 'gw1'), port });
      const token = gw.token;
      p = new KernelPool({ gatewayUrl: gw.url, token, size: 1, kernelNames: ['slow-python3'] }).start();
      const first = gw;
      await until('a kernel start in flight', async () => (await listKernels(first)).length === 1);
      await gw.stop();
      gw = null;
      gw = await startGateway({ dir: join(dir, 'gw2'), port, token });
      // Bound to the start begun on the stopped gateway, this would wait out its 60 s start time
      // limit (and then fail); it is served by a start on the gateway that is back.
      const lease = await p.acquire('slow-python3', AbortSignal.timeout(40000));
      expect(await listKernels(gw)).toContainEqual(expect.objectContaining({ id: lease!.session.model.id }));
      lease!.release();
    } finally {
      await p?.close();
      await gw?.stop();
      if (savedPath === undefined) delete process.env.JUPYTER_PATH;
      else process.env.JUPYTER_PATH = savedPath;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shrinking while a grown kernel is still starting keeps the new size: the late kernel is shut down, not kept', async () => {
    const p = pool(1).start();
    try {
      await until('1 ready kernel', () => p.idleCount() === 1);
      p.resize(2); // starts a second kernel...
      p.resize(1); // ...and shrinks before it is ready (as pool_grow then pool_shrink from Flower)
      await until('the second kernel on the gateway', async () => (await listKernels(gateway)).length === 2);
      // The late kernel arrives, finds the pool full and is shut down.
      await until('the late kernel shut down', async () => (await listKernels(gateway)).length === 1 && p.idleCount() === 1);
      await new Promise(r => setTimeout(r, 1000));
      expect(p.idleCount()).toBe(1);
      expect(await listKernels(gateway)).toHaveLength(1);
    } finally {
      await p.close();
    }
  });

  it('starts a kernel name it does not pool fresh, and answers null when its size is 0', async () => {
    const other = pool(1, { kernelNames: ['not-python3'] }).start();
    const off = pool(0).start();
    try {
      const result = await run(other);
      expect(result.status).toBe('ok');
      expect(result.kernel?.pooled).toBe(false);
      expect(await off.acquire('python3')).toBeNull();
    } finally {
      await other.close();
      await off.close();
    }
  });

  it('close() shuts down idle kernels, kernels still starting and kernels released just before', async () => {
    const p = pool(3).start();
    const lease = await p.acquire('python3');
    lease!.release();
    await p.close();
    expect(await listKernels(gateway)).toEqual([]);
    await expect(p.acquire('python3')).resolves.toBeNull();
  });

  it('opt-in reuse: the same process serves the next task with an empty namespace and fresh execution counts', async () => {
    const p = pool(1).start();
    try {
      const first = await run(p, true);
      const second = await run(p, true);
      expect(first.status).toBe('ok');
      expect(second.status).toBe('ok');
      expect(second.kernel!.id).toBe(first.kernel!.id);
      expect(second.kernel!.uses).toBe(1);
      expect((second.result as { pid: number }).pid).toBe((first.result as { pid: number }).pid);
      // the cell returning 1 + 1 shows the kernel's own execution count: 2 again, not 5
      const counts = (nb: INotebook) => nb.cells[1].outputs?.map(o => o.execution_count);
      expect(counts(second.notebook)).toEqual(counts(first.notebook));
      // a failed task's kernel is never reused
      const failing = probe();
      failing.cells[1].source = 'raise ValueError("no")';
      const failed = await executeNotebook(failing, { gatewayUrl: gateway.url, token: gateway.token, kernelPool: p, reuseKernel: true });
      expect(failed.status).toBe('error');
      expect(failed.kernel?.pooled).toBe(true);
      const after = await run(p, true);
      expect(after.status).toBe('ok');
      expect(after.kernel!.id).not.toBe(failed.kernel!.id);
    } finally {
      await p.close();
    }
  });
});
