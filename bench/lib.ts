/**
 * Shared pieces of the benchmarks: a private stack per benchmark (upStack, not detached), a small
 * REST client, notebooks, peak memory from /proc, and printing.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { KernelLaunchMode } from '../worker/src/stack/gateway';
import { upStack, type IRunningStack } from '../worker/src/stack/stack';

export const REPO = path.resolve(__dirname, '..');
export const PYTHON = path.join(REPO, '.venv', 'bin', 'python');

/**
 * Starts a stack in a temp dir with `workers` workers (concurrency 1 each); `env` is passed to the
 * workers and the service (e.g. NBGRID_KERNEL_POOL), `kernelLaunch` and `preload` to its gateway.
 * Workers run the compiled worker/dist.
 */
export async function benchStack(
  workers: number,
  env: Record<string, string> = {},
  kernelLaunch: KernelLaunchMode = 'fork',
  preload: string[] = []
): Promise<IRunningStack & { home: string; stop(): Promise<void> }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-bench-'));
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  let stack: IRunningStack;
  try {
    stack = await upStack({ home, workers, concurrency: 1, detached: false, kernelLaunch, preload });
  } catch (err) {
    fs.rmSync(home, { recursive: true, force: true }); // upStack stopped what it started
    throw err;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return {
    ...stack,
    home,
    async stop() {
      await stack.down();
      fs.rmSync(home, { recursive: true, force: true });
    }
  };
}

export class Api {
  constructor(private readonly url: string, private readonly token: string) {}

  static of(stack: IRunningStack): Api {
    return new Api(stack.info.api_url, stack.info.token);
  }

  async request<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(this.url + route, {
      method,
      headers: { Authorization: `token ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }

  put(name: string, content: unknown): Promise<unknown> {
    return this.request('PUT', `/api/notebooks/${encodeURIComponent(name)}`, { content });
  }

  map(name: string, params: unknown[]): Promise<{ task_group: string; count: number }> {
    return this.request('POST', `/api/jobs/${encodeURIComponent(name)}/map`, { params });
  }

  async status(name: string, group?: string): Promise<{ status: string; run_status: string; duration: number | null }[]> {
    const q = group ? `?task_group=${group}` : '';
    return (await this.request<{ rows: { status: string; run_status: string; duration: number | null }[] }>('GET', `/api/jobs/${encodeURIComponent(name)}/status${q}`)).rows;
  }

  /** Polls status until no task is PENDING/STARTED/RETRY; throws if any is not OK. */
  async waitDone(name: string, group: string, pollMs = 200, timeoutMs = 1800000): Promise<{ duration: number | null }[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.status(name, group);
      if (rows.every((r) => !['PENDING', 'STARTED', 'RETRY'].includes(r.status))) {
        const bad = rows.filter((r) => r.run_status !== 'OK');
        if (bad.length) throw new Error(`${bad.length} tasks of ${name} not OK: ${JSON.stringify(bad[0])}`);
        return rows;
      }
      if (Date.now() > deadline) throw new Error(`${name} did not finish`);
      await sleep(pollMs);
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Peak resident memory of a process (VmHWM), in MB; null when it is gone. */
export function peakRssMb(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * CPU seconds a process used, itself and (separately) its children it has waited for — the
 * gateway's kernels once shut down. Null when it is gone.
 */
export function cpuSeconds(pid: number): { self: number; children: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14..17 of proc(5), counted from 3 after the command name
    const tick = 100;
    return { self: (Number(f[11]) + Number(f[12])) / tick, children: (Number(f[13]) + Number(f[14])) / tick };
  } catch {
    return null;
  }
}

/**
 * CPU seconds by part of a stack: kernels, gateway, workers, service, MongoDB, Redis. Kernels are
 * the gateway's reaped children; in fork launch mode those are the launchers, and the kernels are
 * the fork server's reaped children, so both are counted (as `launchers` and `kernels`), and the
 * server's own CPU (forking, its loop) as `fork server`.
 */
export function stackCpu(stack: IRunningStack): Record<string, number> {
  const forked = stack.info.pids.kernelforkserver !== undefined;
  const out: Record<string, number> = { kernels: 0, ...(forked ? { launchers: 0, 'fork server': 0 } : {}), gateway: 0, workers: 0, service: 0, mongodb: 0, redis: 0 };
  for (const [name, pid] of Object.entries(stack.info.pids)) {
    const cpu = cpuSeconds(pid);
    if (!cpu) continue;
    if (name === 'kernelgateway') {
      out.gateway += cpu.self;
      out[forked ? 'launchers' : 'kernels'] += cpu.children;
    } else if (name === 'kernelforkserver') {
      out['fork server'] += cpu.self;
      out.kernels += cpu.children;
    } else if (name.startsWith('worker')) out.workers += cpu.self;
    else if (name === 'service') out.service += cpu.self;
    else if (name === 'ferretdb') out.mongodb += cpu.self;
    else if (name === 'redis') out.redis += cpu.self;
  }
  return out;
}

/** Peak memory of the service and the largest worker of a stack. */
export function stackMemory(stack: IRunningStack): { service: number | null; worker: number | null } {
  const workers = Object.entries(stack.info.pids).filter(([n]) => n.startsWith('worker')).map(([, pid]) => peakRssMb(pid) ?? 0);
  return { service: peakRssMb(stack.info.pids.service), worker: workers.length ? Math.max(...workers) : null };
}

/** A code cell. */
export function code(source: string, tags: string[] = []): Record<string, unknown> {
  return { cell_type: 'code', execution_count: null, id: Math.random().toString(16).slice(2, 10), metadata: tags.length ? { tags } : {}, outputs: [], source };
}

/** An nbformat 4.5 Python notebook of `cells`; `metadata` merged into its metadata. */
export function notebook(cells: Record<string, unknown>[], metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cells,
    metadata: {
      kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
      language_info: { name: 'python' },
      ...metadata
    },
    nbformat: 4,
    nbformat_minor: 5
  };
}

/** The trivial notebook of benchmark 1: 3 small cells. `sleep` seconds per cell for the "useful work" variant. */
export function trivialNotebook(sleep = 0, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  const pause = sleep > 0 ? `import time; time.sleep(${sleep})\n` : '';
  return notebook(
    [
      code(`${pause}job = globals().get('job', {'param': 9})`, ['parameters']),
      code(`${pause}x = job['param'] * 2\nprint(x)`),
      code(`${pause}job['result'] = x`)
    ],
    metadata
  );
}

/** Runs a command; resolves with its stdout, rejects with its stderr on failure. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}\n${err.slice(-3000)}`))));
  });
}

/** Prints an aligned table. */
export function table(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  console.log(`\n${title}`);
  for (const [i, r] of cells.entries()) {
    console.log('  ' + r.map((c, j) => String(c).padEnd(widths[j])).join('  '));
    if (i === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** Seconds since `t0` (from `process.hrtime.bigint()`). */
export const since = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;
