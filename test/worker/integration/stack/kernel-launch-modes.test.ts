/**
 * Fork is the default kernel launch mode; `spawn` stays available; where the fork server cannot
 * start (here: an interpreter without nbgrid's kernels) the stack spawns kernels and says so once
 * in its log. In each case a whole stack maps a notebook (real Redis, FerretDB, Kernel Gateway).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { upStack, type IRunningStack, type IUpOptions } from '../../../../worker/src/stack';
import { TestApi } from '../../support/api';
import { notebook } from '../../support/notebooks';

jest.setTimeout(240000);

/** Python outside the project's virtualenv: it has neither nbgrid nor ipykernel. */
const FOREIGN_PYTHON = '/usr/bin/python3';

const REPORT_NB = notebook([
  { source: "job = globals().get('job', {'param': 0})", tags: ['parameters'] },
  'import os, sys',
  // the parent's command line: the fork server for a forked kernel, the launcher-less gateway for a spawned one
  "job['result'] = {'param': job['param'], 'pid': os.getpid(), 'parent': open(f'/proc/{os.getppid()}/cmdline', 'rb').read().decode(errors='replace')}"
]);

interface IReport {
  param: number;
  pid: number;
  parent: string;
}

async function mapReports(stack: IRunningStack, name: string): Promise<IReport[]> {
  const api = new TestApi(stack.info);
  await api.put(name, REPORT_NB);
  const group = await api.map(name, { params: [1, 2, 3] });
  const rows = await api.waitDone(name, group.task_group, 180000);
  expect(rows.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
  const results = (await api.call<{ results: IReport[] }>('GET', `/api/jobs/${name}/results?task_group=${group.task_group}`)).body.results;
  expect(results.map((r) => r.param).sort()).toEqual([1, 2, 3]);
  expect(new Set(results.map((r) => r.pid)).size).toBe(3);
  return results;
}

async function withStack(options: Omit<IUpOptions, 'home'>, body: (stack: IRunningStack, log: string[]) => Promise<void>): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-launch-modes-'));
  const log: string[] = [];
  const stack = await upStack({ home, workers: 1, detached: false, log: (line) => log.push(line), ...options });
  try {
    await body(stack, log);
  } finally {
    await stack.down();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

it('forks kernels by default', async () => {
  await withStack({}, async (stack, log) => {
    expect(stack.info.kernel_launch).toBe('fork');
    expect(stack.info.pids.kernelforkserver).toBeGreaterThan(0);
    expect(log.filter((l) => /fork server unavailable/.test(l))).toEqual([]);
    const reports = await mapReports(stack, 'default-fork');
    expect(reports.every((r) => r.parent.includes('nbgrid.kernels.forkserver'))).toBe(true);
  });
});

it('spawns a fresh Python per kernel with kernelLaunch spawn', async () => {
  await withStack({ kernelLaunch: 'spawn' }, async (stack) => {
    expect(stack.info.kernel_launch).toBe('spawn');
    expect(stack.info.pids.kernelforkserver).toBeUndefined();
    const reports = await mapReports(stack, 'spawned');
    expect(reports.every((r) => r.parent.includes('kernelgateway') && !r.parent.includes('forkserver'))).toBe(true);
  });
});

it('falls back to spawned kernels when the fork server cannot start, and says so once', async () => {
  expect(fs.existsSync(FOREIGN_PYTHON)).toBe(true);
  await withStack({ forkServerPython: FOREIGN_PYTHON }, async (stack, log) => {
    const fallback = log.filter((l) => /kernel fork server unavailable/.test(l));
    expect(fallback).toHaveLength(1);
    expect(fallback[0]).toMatch(/No module named|exited before it was ready/);
    expect(fallback[0]).toMatch(/spawns its kernels instead/);
    expect(log).toContainEqual(expect.stringMatching(/^gateway .*\(kernels spawned\)$/));
    expect(stack.info.kernel_launch).toBe('spawn');
    expect(stack.info.pids.kernelforkserver).toBeUndefined();
    const reports = await mapReports(stack, 'fell-back');
    expect(reports.every((r) => !r.parent.includes('forkserver'))).toBe(true);
    // kernels started later do not repeat it
    expect(log.filter((l) => /fork server/.test(l))).toHaveLength(1);
  });
});
