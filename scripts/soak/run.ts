/**
 * `make soak`: chaos under load. A private stack (free ports, a temporary directory, stopped at the
 * end even on failure) runs a map of SOAK_TASKS tasks on SOAK_WORKERS workers while faults are
 * injected at random for SOAK_MINUTES, a client restarts failed tasks and a second map is
 * cancelled midway; then it drains, checks every task, prints a table and the diagnosis of every
 * loss grouped by cause, and exits 1 on any loss (0 otherwise, 2 when the soak itself broke).
 *
 *   SOAK_TASKS=40 SOAK_MINUTES=1 SOAK_SEED=7 node -r ./scripts/ts-hook.js scripts/soak/run.ts
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { upStack, type IRunningStack } from '../../worker/src/stack';
import { account, checkCancelledMap, checkMainMap, hasLoss, UNCOUNTED } from './accounting';
import { diagnose, groupByClass, RedisSnapshot, StackLogs } from './diagnosis';
import { FaultInjector } from './fault-injector';
import { readSoakOptions } from './options';
import { SeededRandom } from './random';
import { RedisMonitor } from './redis-monitor';
import { diagnosisText, faultErrorsText, summaryTable } from './report';
import { SECOND_LABEL, SOAK_JOB, SoakScenario } from './scenario';
import { SoakClient } from './soak-client';

const started = Date.now();
const log = (line: string): void => {
  process.stdout.write(`[soak ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
};

async function main(): Promise<number> {
  const options = readSoakOptions();
  const rnd = new SeededRandom(options.seed);
  log(
    `seed ${options.seed} (SOAK_SEED=${options.seed} repeats it): ${options.tasks} tasks, ${options.workers} workers, ` +
      `faults ${options.faultKinds.join(', ') || 'none'} for ${options.windowSeconds} s, visibility timeout ${options.visibilityTimeout} s`
  );
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-soak-'));
  let stack: IRunningStack | undefined;
  let faults: FaultInjector | undefined;
  let monitor: RedisMonitor | undefined;
  const stopAll = async (): Promise<void> => {
    // Workers first (they drain), then what the injector started, then the stack's own services.
    for (const p of stack?.processes.filter((x) => x.name.startsWith('worker')) ?? []) await p.stop();
    await faults?.stopReplacements();
    await stack?.down();
    monitor?.stop();
  };
  const onSignal = (): void => void stopAll().finally(() => process.exit(2));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // upStack gives its workers `default` plus `labels`; a worker started in place of a killed one gets the same.
    stack = await upStack({ home, workers: options.workers, labels: [SECOND_LABEL], visibilityTimeout: options.visibilityTimeout, detached: false });
    const labels = ['default', SECOND_LABEL];
    log(`stack up in ${home} (api ${stack.info.api_url})`);
    if (options.monitor) monitor = RedisMonitor.start(stack.info.redis_url, path.join(stack.info.run_dir, 'redis-monitor.log'));
    faults = new FaultInjector(stack, rnd, options.visibilityTimeout, labels, log);
    const client = new SoakClient(stack.info.api_url, stack.info.token);
    const result = await new SoakScenario(options, client, faults, rnd, log).run();

    const deadline = Date.now() + 120000;
    const mainTasks = await client.tasks(SOAK_JOB, result.mainGroup, deadline);
    const results = await client.results(SOAK_JOB, result.mainGroup, deadline).catch(() => null);
    const cancelTasks = result.cancelGroup ? await client.tasks(SOAK_JOB, result.cancelGroup, deadline) : [];
    const mainAccount = account(checkMainMap(result.mainParams, mainTasks, results));
    const cancelAccount = account(result.cancelGroup ? checkCancelledMap(result.cancelParams, cancelTasks) : []);
    const summary = {
      seed: options.seed,
      main: mainAccount,
      cancelled: cancelAccount,
      faults: faults.injected,
      clientRestarts: result.clientRestarts,
      drainSeconds: result.drainSeconds,
      failedCalls: client.failedCalls
    };
    process.stdout.write(`\n${summaryTable(summary)}\n${faultErrorsText(summary)}`);

    const bad = [...mainAccount.verdicts, ...cancelAccount.verdicts].filter((v) => v.problems.length > 0);
    if (bad.length > 0) {
      const snap = await RedisSnapshot.take(stack.info.redis_url, bad.map((v) => v.task?.task_id ?? ''));
      const dead = new Set(faults.injected.filter((f) => f.kind === 'worker-kill').map((f) => f.target.split(' ')[0]));
      const deadHostnames = new Set([...dead].flatMap((name) => mainTasks.concat(cancelTasks).map((t) => t.worker ?? '').filter((w) => w.startsWith(`${name}@`))));
      const groups = groupByClass(bad.map((v) => diagnose(v, snap, new StackLogs(stack!.info.run_dir), deadHostnames)));
      process.stdout.write(`\nDiagnosis (${bad.length} tasks):${diagnosisText(groups)}\n`);
    }
    const rerun = [...mainTasks, ...cancelTasks].filter((t) => t.job_runs.some((r) => UNCOUNTED.test(r.message)));
    if (rerun.length > 0) {
      process.stdout.write(`\nRuns not counted (${rerun.length} tasks; a few):\n`);
      for (const t of rerun.slice(0, 6)) {
        process.stdout.write(`    ${t.name} ${t.state}/${t.run_status} id ${t.task_id}\n`);
        for (const r of t.job_runs) process.stdout.write(`      ${r.status} ${r.worker} ${r.task_id} a${r.attempt} ${r.ts} ${r.message.split('\n')[0].slice(0, 160)}\n`);
      }
    }
    process.stdout.write(`\nfaults: ${faults.injected.map((f) => `${f.kind}@${((f.at - started) / 1000).toFixed(0)}s`).join(' ')}\n`);
    const loss = hasLoss(mainAccount) || hasLoss(cancelAccount) || result.drainSeconds === null;
    process.stdout.write(loss ? 'FAIL: tasks lost, duplicated or stuck (see the diagnosis above)\n' : 'OK: every task final, nothing lost or run twice\n');
    return loss ? 1 : 0;
  } catch (err) {
    process.stdout.write(`soak broke: ${(err as Error).stack ?? String(err)}\n`);
    return 2;
  } finally {
    await stopAll().catch((err: unknown) => process.stdout.write(`stopping the stack: ${String(err)}\n`));
    if (options.keep) process.stdout.write(`kept ${home} (logs in run/)\n`);
    else fs.rmSync(home, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stdout.write(`soak broke: ${String(err)}\n`);
  process.exit(2);
});
