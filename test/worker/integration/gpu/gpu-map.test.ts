/**
 * A map on a GPU node, through the whole stack: `nbgrid up`'s stack code starts a worker without
 * `--concurrency` on a node whose (fake) `nvidia-smi -L` lists 4 GPUs, so the worker runs 4 tasks
 * at once, one per GPU slot. The status rows and the run history name the GPU each task ran on:
 * distinct for tasks running at the same time, and the one its notebook saw (`CUDA_VISIBLE_DEVICES`
 * and `job['gpus']`).
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { ITask } from '../../../../worker/src/domain/types';
import type { IRunningStack } from '../../../../worker/src/stack';
import type { TestApi } from '../../support/api';
import { notebook, PARAM_CELL } from '../../support/notebooks';
import { usePrivateStack } from '../../support/private-stack';

jest.setTimeout(300000);

const GPUS = 4;
const scratch = mkdtempSync(join(tmpdir(), 'nbgrid-gpu-map-'));
const savedPath = process.env.PATH;

// Before the stack starts: its worker inherits this PATH and finds the fake nvidia-smi.
const fakeBin = join(scratch, 'bin');
mkdirSync(fakeBin);
const listing = Array.from({ length: GPUS }, (_, i) => `GPU ${i}: NVIDIA Fake A100 (UUID: GPU-0000000${i}-fake-fake-fake-00000000000${i})`).join('\\n');
writeFileSync(join(fakeBin, 'nvidia-smi'), `#!/bin/sh\n[ "$1" = "-L" ] || exit 2\nprintf '${listing}\\n'\n`);
chmodSync(join(fakeBin, 'nvidia-smi'), 0o755);
process.env.PATH = `${fakeBin}:${savedPath}`;

let stack: IRunningStack;
let api: TestApi;
usePrivateStack('nbgrid-gpu-map-', { workers: 1 }, (s) => {
  ({ stack, api } = s);
});

afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(scratch, { recursive: true, force: true });
});

interface IWorkerRow {
  hostname: string;
  labels: string[];
  concurrency: number;
}

describe('a map on a worker with 4 GPUs', () => {
  it('defaults the worker to one task per GPU slot when nbgrid up gives no concurrency', async () => {
    expect(stack.info.workers?.['worker-1']).toEqual({ labels: ['default'] });
    const workers = (await api.call<{ workers: IWorkerRow[] }>('GET', '/api/workers')).body.workers;
    expect(workers).toHaveLength(1);
    expect(workers[0].concurrency).toBe(GPUS);
    expect(workers[0].labels).toContain('gpu');
  });

  it('records in the status rows and the run history which GPU ran each task, distinct for tasks running at once', async () => {
    // Every task checks in to `meet` and waits for all 4: they run at the same time, whatever the machine's speed.
    const meet = mkdtempSync(join(scratch, 'meet-'));
    await api.put(
      'gpus',
      notebook([
        PARAM_CELL,
        `import os, time\nopen(os.path.join(${JSON.stringify(meet)}, str(job['param'])), 'w').close()\n` +
          `deadline = time.time() + 240\nwhile len(os.listdir(${JSON.stringify(meet)})) < ${GPUS}:\n` +
          "    assert time.time() < deadline, 'the tasks did not run at the same time'\n    time.sleep(0.05)",
        "job['result'] = {'cuda': os.environ.get('CUDA_VISIBLE_DEVICES'), 'gpus': job.get('gpus')}"
      ])
    );
    const m = await api.map('gpus', { range: { start: 0, stop: GPUS, step: 1 }, require: 'gpu' });
    const rows = await api.waitDone('gpus', m.task_group, 240000);
    expect(rows.map((r) => [r.status, r.run_status, r.message])).toEqual(rows.map(() => ['SUCCESS', 'OK', '']));
    expect(readdirSync(meet)).toHaveLength(GPUS);

    // Distinct GPUs, one per task.
    expect(rows.map((r) => r.gpus).sort()).toEqual(['0', '1', '2', '3']);

    // ...and each the one its notebook saw.
    const results = (await api.call<{ results: { cuda: string; gpus: number[] }[] }>('GET', `/api/jobs/gpus/results?task_group=${m.task_group}`)).body.results;
    expect(results.map((r) => r.cuda)).toEqual(rows.map((r) => r.gpus));
    expect(results.map((r) => r.gpus)).toEqual(rows.map((r) => [Number(r.gpus)]));

    // The run history says the same.
    const tasks = (await api.call<{ tasks: ITask[] }>('GET', `/api/jobs/gpus/tasks?task_group=${m.task_group}`)).body.tasks;
    expect(tasks.map((t) => t.job_runs.map((run) => run.gpus))).toEqual(rows.map((r) => [r.gpus]));
  });

  it('a task that has not run has gpus null in its row', async () => {
    // Rows of tasks never run carry null, not a missing field: the Python table's column stays.
    const m = await api.map('gpus', { range: { start: 0, stop: 1, step: 1 }, require: 'nothing-serves-this' });
    const rows = await api.status('gpus', m.task_group);
    expect(rows).toHaveLength(1);
    expect(rows[0].gpus).toBeNull();
    expect((await api.call('POST', '/api/jobs/gpus/cancel', { task_group: m.task_group })).status).toBe(200);
  });
});
