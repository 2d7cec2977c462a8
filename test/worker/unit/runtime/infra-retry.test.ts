/**
 * A run the Kernel Gateway's outage cut short is recorded as an infrastructure failure and retried
 * a bounded number of times; a gateway that answers (a refused request) or a part that is up is
 * the task's failure as before. The InfraGuard pauses while a part is down and resumes after.
 */
import { Retry, type ITaskContext } from '../../../../worker/src/celery';
import type { IJobRun, ITask } from '../../../../worker/src/domain/types';
import { KERNEL_VANISHED, type IExecutionResult } from '../../../../worker/src/executor';
import { InfraGuard } from '../../../../worker/src/runtime/infra-guard';
import { INFRA_FAILURE_PREFIX, INFRA_RETRIES, isGatewayLoss, retryIfInfraFailure } from '../../../../worker/src/runtime/infra-retry';

const ctx = { taskId: 'id-1', hostname: 'w1@h', retries: 0 } as unknown as ITaskContext;
const lost = (message: string): IExecutionResult =>
  ({ status: 'error', message, error: { kind: 'gateway-unreachable', message }, notebook: {}, duration: 1 }) as unknown as IExecutionResult;
const task = (runs: Partial<IJobRun>[]): ITask => ({ name: 'tasks/nb/g-0', task_id: 'id-1', state: 'STARTED', job_runs: runs, runs_total: runs.length }) as unknown as ITask;
const infraRun = { status: 'ERROR', task_id: 'id-1', message: `${INFRA_FAILURE_PREFIX} gateway gone` } as IJobRun;

function deps() {
  const recorded: IJobRun[] = [];
  return {
    recorded,
    runs: { recordInfraAttempt: async (_name: string, run: IJobRun) => (recorded.push(run), task([run])) },
    emit: async () => undefined
  };
}

it('tells a lost gateway from one that refused a request', () => {
  expect(isGatewayLoss(lost('The kernel gateway at http://x is unreachable (POST /api/kernels: ECONNREFUSED); is it running?'))).toBe(true);
  expect(isGatewayLoss(lost("The kernel gateway at http://x refused to start kernel 'nope': 404 Not Found"))).toBe(false);
  expect(isGatewayLoss({ status: 'ok' } as IExecutionResult)).toBe(false);
  // A dead kernel is a candidate; the probe decides (a kernel out of memory is the task's failure).
  expect(isGatewayLoss({ ...lost('kernel died'), error: { kind: 'kernel-died', message: 'kernel died' } } as unknown as IExecutionResult)).toBe(true);
  expect(isGatewayLoss({ ...lost('x'), error: { kind: 'cell-error', message: 'x' } } as unknown as IExecutionResult)).toBe(false);
});

it('records the attempt as an infrastructure failure and throws a Retry while the gateway is down', async () => {
  const d = deps();
  const infra = { report: jest.fn(async () => true), reason: 'Kernel Gateway unreachable at http://x (ECONNREFUSED)' };
  const thrown = await retryIfInfraFailure(infra, d, ctx, task([]), lost('Lost the connection to the kernel gateway at http://x'), 2).catch((e: unknown) => e);
  expect(thrown).toBeInstanceOf(Retry);
  expect(infra.report).toHaveBeenCalledWith('gateway');
  expect(d.recorded).toHaveLength(1);
  expect(d.recorded[0]).toMatchObject({ status: 'ERROR', task_id: 'id-1', worker: 'w1@h', attempt: 1 });
  expect(d.recorded[0].message).toMatch(
    /^infrastructure failure: Lost the connection to the kernel gateway at http:\/\/x; Kernel Gateway unreachable at http:\/\/x \(ECONNREFUSED\) \(worker w1@h paused; retry 1 of 3/
  );
});

it('leaves the failure to the task when the gateway answers the probe, or after the bound', async () => {
  const d = deps();
  await expect(retryIfInfraFailure({ report: async () => false }, d, ctx, task([]), lost('Lost the connection'), 1)).resolves.toBeUndefined();
  const spent = task(Array.from({ length: INFRA_RETRIES }, () => infraRun));
  const report = jest.fn(async () => true);
  await expect(retryIfInfraFailure({ report }, d, ctx, spent, lost('Lost the connection'), 1)).resolves.toBeUndefined();
  expect(report).not.toHaveBeenCalled();
  expect(d.recorded).toEqual([]);
});

it('retries a run whose kernel the gateway no longer has (a gateway restarted before the probe), not one whose kernel died in a live gateway', async () => {
  const d = deps();
  const died = (why: string): IExecutionResult =>
    ({ status: 'error', message: `Kernel died while executing cell 2 (${why})`, error: { kind: 'kernel-died', message: why }, notebook: {}, duration: 1 }) as unknown as IExecutionResult;
  const report = jest.fn(async () => false); // the gateway answers again
  const thrown = await retryIfInfraFailure({ report }, d, ctx, task([]), died(KERNEL_VANISHED), 1).catch((e: unknown) => e);
  expect(thrown).toBeInstanceOf(Retry);
  expect(d.recorded).toHaveLength(1);
  expect(d.recorded[0].message).toMatch(/^infrastructure failure: Kernel died .*\(retry 1 of 3 in \d+s\)$/);
  expect(d.recorded[0].message).not.toContain('paused');
  await expect(retryIfInfraFailure({ report }, deps(), ctx, task([]), died("kernel status 'dead'"), 1)).resolves.toBeUndefined();
});

it('InfraGuard pauses with the reason of the part that is down and resumes when it answers again', async () => {
  let up = true;
  const calls: string[] = [];
  const guard = new InfraGuard({
    parts: [{ name: 'gateway', label: 'Kernel Gateway at http://x', probe: async () => { if (!up) throw new Error('Kernel Gateway unreachable at http://x'); } }],
    pause: (reason) => calls.push(`pause ${reason}`),
    resume: () => calls.push('resume'),
    intervalMs: 60000,
    backoffMs: { first: 20, max: 40 }
  }).start();
  try {
    expect(await guard.report('gateway')).toBe(false);
    up = false;
    expect(await guard.report('gateway')).toBe(true);
    expect(guard.reason).toBe('Kernel Gateway unreachable at http://x');
    up = true;
    const deadline = Date.now() + 5000;
    while (!calls.includes('resume') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual(['pause Kernel Gateway unreachable at http://x', 'resume']);
    expect(guard.reason).toBeNull();
  } finally {
    guard.close();
  }
});
