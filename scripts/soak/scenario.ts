/**
 * The soak's scenario on a running stack: a main map, faults at random through the window, a
 * client that restarts failed tasks, a second map submitted and cancelled midway, then a bounded
 * drain (with the client's last restart rounds) until every task is final.
 */
import { isFinalState } from '../../worker/src/domain/queue-states';
import type { FaultKind } from './fault-kinds';
import type { FaultInjector } from './fault-injector';
import type { ISoakOptions } from './options';
import type { SeededRandom } from './random';
import type { ISoakTask, SoakClient } from './soak-client';
import { shouldSucceed, soakNotebook, soakParams, type ISoakParam } from './workload';

export const SOAK_JOB = 'soak';
/** The second map's label, served by every worker beside `default`, so it runs among the first. */
export const SECOND_LABEL = 'soak-second';

export interface IScenarioResult {
  mainGroup: string;
  mainParams: ISoakParam[];
  cancelGroup: string | null;
  cancelParams: ISoakParam[];
  clientRestarts: number;
  /** Seconds from the end of the fault window until every task was final; null if never. */
  drainSeconds: number | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const countStates = (tasks: ISoakTask[]): string => {
  const n = new Map<string, number>();
  for (const t of tasks) n.set(t.state, (n.get(t.state) ?? 0) + 1);
  return [...n.entries()].map(([s, c]) => `${s} ${c}`).join(', ');
};

export class SoakScenario {
  private clientRestarts = 0;
  private windowEnd = 0;

  constructor(
    private readonly options: ISoakOptions,
    private readonly client: SoakClient,
    private readonly faults: FaultInjector,
    private readonly rnd: SeededRandom,
    private readonly log: (line: string) => void
  ) {}

  async run(): Promise<IScenarioResult> {
    const o = this.options;
    const setupDeadline = Date.now() + 120000;
    await this.client.putNotebook(SOAK_JOB, soakNotebook(), setupDeadline);
    const mainParams = soakParams(o.tasks, this.rnd);
    const cancelParams = soakParams(o.secondMapTasks, this.rnd, o.tasks);
    const main = await this.client.map(SOAK_JOB, mainParams, setupDeadline);
    this.log(`main map ${main.task_group}: ${o.tasks} tasks, ${mainParams.filter((p) => !shouldSucceed(p)).length} failing on purpose`);
    this.windowEnd = Date.now() + o.windowSeconds * 1000;
    const [, cancelGroup] = await Promise.all([this.faultLoop(), this.secondMap(cancelParams), this.restartLoop(main.task_group)]);
    this.log(`fault window over: ${this.faults.injected.length} faults; draining (at most ${o.drainSeconds} s)`);
    const drainSeconds = await this.drain(main.task_group, mainParams, cancelGroup);
    return { mainGroup: main.task_group, mainParams, cancelGroup, cancelParams, clientRestarts: this.clientRestarts, drainSeconds };
  }

  private left(): number {
    return this.windowEnd - Date.now();
  }

  /** Each kind once in a random order, then random kinds, one at a time, until the window closes. */
  private async faultLoop(): Promise<void> {
    const kinds = this.options.faultKinds;
    if (kinds.length === 0) return;
    const plan: FaultKind[] = this.rnd.shuffle(kinds);
    const [gapMin, gapMax] = this.options.faultGap;
    for (let n = 0; ; n++) {
      await sleep(this.rnd.between(gapMin, gapMax) * 1000);
      if (this.left() <= 0) return;
      const kind = n < plan.length ? plan[n] : this.rnd.pick(kinds);
      try {
        await this.faults.inject(kind);
      } catch (err) {
        this.log(`fault ${kind} could not be injected: ${(err as Error).message}`);
      }
    }
  }

  /**
   * Every 20-60 s during the first 60% of the window: restart the main map when some task of it
   * failed. restart() also re-queues tasks still PENDING or STARTED (it takes every task without an
   * OK run), so it would repair a killed worker's stuck tasks too: the faults of the last 40% of
   * the window stay unmasked, and the drain restarts only once every task is final.
   */
  private async restartLoop(group: string): Promise<void> {
    const until = this.windowEnd - 0.4 * this.options.windowSeconds * 1000;
    for (;;) {
      await sleep(Math.min(this.rnd.between(20, 60) * 1000, Math.max(0, until - Date.now())));
      if (Date.now() >= until) return;
      try {
        const tasks = await this.client.tasks(SOAK_JOB, group, Date.now() + 60000);
        if (!tasks.some((t) => t.state === 'FAILURE')) continue;
        const r = await this.client.restart(SOAK_JOB, group, Date.now() + 60000);
        this.clientRestarts++;
        this.log(`client restart: ${r.restarted.length} tasks re-queued (${countStates(tasks)})`);
      } catch (err) {
        this.log(`client restart failed: ${(err as Error).message}`);
      }
    }
  }

  /** Submits the second map a fifth into the window and cancels it once about a third has run. */
  private async secondMap(params: ISoakParam[]): Promise<string | null> {
    if (params.length === 0) return null;
    await sleep(this.rnd.between(0.1, 0.3) * this.options.windowSeconds * 1000);
    let group: string;
    try {
      group = (await this.client.map(SOAK_JOB, params, Date.now() + 60000, SECOND_LABEL)).task_group;
    } catch (err) {
      this.log(`second map could not be submitted: ${(err as Error).message}`);
      return null;
    }
    this.log(`second map ${group}: ${params.length} tasks; cancelled once about a third is final`);
    while (this.left() > 0) {
      const tasks = await this.client.tasks(SOAK_JOB, group, Date.now() + 60000).catch(() => [] as ISoakTask[]);
      if (tasks.filter((t) => isFinalState(t.state)).length >= params.length / 3) break;
      await sleep(2000);
    }
    const r = await this.client.cancel(SOAK_JOB, group, Date.now() + 120000);
    this.log(`second map cancelled: ${r.revoked} tasks revoked`);
    return group;
  }

  /**
   * Waits until every task is final. Then, while a task that should succeed has no OK run, the
   * client restarts the main map (at most `restartRounds` times) and waits again.
   */
  private async drain(mainGroup: string, mainParams: ISoakParam[], cancelGroup: string | null): Promise<number | null> {
    const t0 = Date.now();
    const deadline = t0 + this.options.drainSeconds * 1000;
    let rounds = 0;
    let lastLog = 0;
    let signature = '';
    let changed = Date.now();
    while (Date.now() < deadline) {
      const main = await this.client.tasks(SOAK_JOB, mainGroup, deadline).catch(() => null);
      const second = cancelGroup ? await this.client.tasks(SOAK_JOB, cancelGroup, deadline).catch(() => null) : [];
      if (main && second) {
        const all = [...main, ...second];
        if (all.length > 0 && all.every((t) => isFinalState(t.state))) {
          const unlucky = main.filter((t) => shouldSucceed(mainParams[t.job_id]) && t.run_status !== 'OK');
          if (unlucky.length === 0 || rounds >= this.options.restartRounds) return (Date.now() - t0) / 1000;
          rounds++;
          await this.client.restart(SOAK_JOB, mainGroup, deadline);
          this.clientRestarts++;
          this.log(`drain: all final; ${unlucky.length} tasks that should succeed are not OK: client restart round ${rounds}`);
          continue;
        }
        // Nothing moved for a long while: what is left will not end by itself (e.g. a killed
        // worker's message waiting for an hour-long visibility timeout). Stop waiting.
        const now = all.map((t) => `${t.task_id}:${t.state}`).join(',');
        if (now !== signature) {
          signature = now;
          changed = Date.now();
        } else if (Date.now() - changed > this.options.stallSeconds * 1000) {
          this.log(`drain: nothing changed for ${this.options.stallSeconds} s; giving up (${countStates(all)})`);
          return null;
        }
        if (Date.now() - lastLog > 15000) {
          lastLog = Date.now();
          this.log(`drain ${((Date.now() - t0) / 1000).toFixed(0)} s: main ${countStates(main)}; cancelled map ${countStates(second)}`);
        }
      }
      await sleep(2000);
    }
    return null;
  }
}
