/**
 * Repairs tasks whose state can no longer change by itself, so no task stays PENDING or STARTED
 * forever: a queued task whose message is in no queue and held by no worker (lost in Redis, or
 * queueing failed after the task was stored), and a running task whose message is gone while its
 * worker stopped sending heartbeats or its worker already reported a final result. The repair is
 * FAILURE / ERROR with a run that says what was lost and that `restart()` runs it again.
 *
 * A pass reads at most `batch` of the queued or running tasks (storage keeps them apart from the
 * rest: its cost does not grow with the tasks stored).
 *
 * Not racing with a worker: only tasks unchanged for `minAgeMs` are examined; the queue is looked
 * at twice, `recheckMs` apart (a message popped by BRPOP is registered as unacked a moment
 * later); and the repair is one conditional update keyed by the task id, state and last change,
 * so a task a worker got to meanwhile is left alone. A message is in a queue or in `unacked`
 * until its run is recorded (workers ack after recording), so "nowhere" means it cannot run.
 */
import type { ITaskEvent, IWorkerInfo } from '../domain/ports';
import type { IQueueInspector } from '../domain/queue-inspector';
import type { IStuckTaskStore } from '../domain/stuck-tasks';
import { taskEvent } from '../domain/task-event';
import type { ITaskSummary } from '../domain/task-state';
import type { IJobRun } from '../domain/types';

/** Options of {@link TaskReconciler}. */
export interface ITaskReconcilerOptions {
  store: IStuckTaskStore;
  queue: IQueueInspector;
  /** Workers whose heartbeat is recent. */
  liveWorkers: () => Promise<IWorkerInfo[]>;
  /** Announces a repaired task (`/api/events`). */
  emit?: (e: ITaskEvent) => void | Promise<void>;
  /**
   * Tasks changed more recently than this are not examined (a map's messages being published,
   * a restart being queued, a message between pop and start). @defaultValue 120000 (2 minutes)
   */
  minAgeMs?: number;
  /** Pause between the two looks at the queue. @defaultValue 2000 */
  recheckMs?: number;
  /**
   * Most queued or running tasks read per pass; a pass goes on where the last one stopped, so
   * many long-running tasks do not hide a stuck one behind them. @defaultValue 1000
   */
  batch?: number;
  /** Interval of the periodic pass started by `start()`. @defaultValue 60000 */
  intervalMs?: number;
  log?: (line: string) => void;
  /**
   * Runs at the start of every pass, before stuck tasks are looked for (the reduce step's repair,
   * `reduce/reduce-reconciler.ts`: it queues a reduce task a crash left unqueued before that task
   * could look lost). Its failure is logged; the pass goes on.
   */
  beforePass?: () => Promise<unknown>;
  /**
   * The notebook as far as a lost running task got (its partial notebook, `progress/lost-partial.ts`),
   * recorded as the lost run's result notebook; null or a failure records the run without one.
   */
  lostNotebook?: (task: ITaskSummary) => Promise<unknown>;
}

/** A task a pass repaired. */
export interface IRepairedTask {
  name: string;
  task_id: string;
  /** State it was stuck in. */
  was: ITaskSummary['state'];
  message: string;
}

/** What one pass did. */
export interface IReconcileReport {
  /** Queued or running tasks unchanged for `minAgeMs`. */
  examined: number;
  repaired: IRepairedTask[];
}

export class TaskReconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<IReconcileReport> | null = null;
  private closed = false;
  /** Where the next pass goes on, when the previous one stopped at `batch`. */
  private cursor: string | undefined;

  constructor(private readonly options: ITaskReconcilerOptions) {}

  /** Run a pass every `intervalMs` (errors are logged, the next pass tries again). Idempotent. */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      void this.reconcileOnce().catch((err: unknown) => this.log(`task reconciliation failed: ${err instanceof Error ? err.message : String(err)}`));
    }, this.options.intervalMs ?? 60000);
    this.timer.unref();
  }

  /** Stop the periodic pass and wait for one in progress. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass now (one at a time: a call during a pass gets that pass's report). */
  reconcileOnce(): Promise<IReconcileReport> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private log(line: string): void {
    (this.options.log ?? (() => undefined))(line);
  }

  private async pass(): Promise<IReconcileReport> {
    await this.options.beforePass?.().catch((err: unknown) => this.log(`reduce reconciliation failed: ${err instanceof Error ? err.message : String(err)}`));
    const { store, queue } = this.options;
    const before = new Date(Date.now() - (this.options.minAgeMs ?? 120000)).toISOString();
    const batch = this.options.batch ?? 1000;
    const page = await store.unchangedSince(before, batch, this.cursor);
    this.cursor = page.next;
    const candidates = page.tasks;
    if (candidates.length === 0) return { examined: 0, repaired: [] };
    const queues = [...new Set(candidates.map((t) => t.require))];
    let lost = await this.withoutMessage(candidates, queues);
    if (lost.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.options.recheckMs ?? 2000));
      lost = await this.withoutMessage(lost, queues);
    }
    if (lost.length === 0) return { examined: candidates.length, repaired: [] };
    const live = new Set((await this.options.liveWorkers()).map((w) => w.hostname));
    const results = await queue.finalResults(lost.map((t) => t.task_id));
    const repaired: IRepairedTask[] = [];
    for (const task of lost) {
      const reported = results.get(task.task_id);
      // A running task whose worker is alive and reported nothing may still be recording.
      if (task.state === 'STARTED' && task.worker && live.has(task.worker) && !reported) continue;
      const notebook = task.state === 'STARTED' ? await this.options.lostNotebook?.(task).catch(() => null) : null;
      const message = lostMessage(task, reported) + (notebook ? ' Its result notebook holds the outputs produced before it was lost.' : '');
      const run: IJobRun = {
        status: 'ERROR',
        ts: new Date().toISOString(),
        message,
        results: null,
        duration: 0,
        worker: task.worker ?? 'none',
        attempt: task.runs_total + 1,
        task_id: task.task_id
      };
      const fixed = await store.failStuck(task, run, notebook ?? undefined);
      if (!fixed) continue; // changed since it was found: not stuck
      repaired.push({ name: task.name, task_id: task.task_id, was: task.state, message });
      this.log(`repaired ${task.name} (${task.task_id}), stuck ${task.state}: ${message}`);
      try {
        await this.options.emit?.(taskEvent(fixed));
      } catch {
        // status reads MongoDB; the event is a courtesy
      }
    }
    return { examined: candidates.length, repaired };
  }

  /** The tasks among `tasks` whose message is in none of `queues` and not unacked. */
  private async withoutMessage(tasks: ITaskSummary[], queues: string[]): Promise<ITaskSummary[]> {
    const ids = await this.options.queue.liveMessageIds(queues);
    return tasks.filter((t) => !ids.has(t.task_id));
  }
}

/** What was lost and what to do, for the repaired task's run. */
export function lostMessage(task: Pick<ITaskSummary, 'state' | 'worker' | 'task_id' | 'require'>, reported?: string): string {
  const what =
    task.state === 'STARTED'
      ? `lost: the task was running on ${task.worker ?? 'a worker'}, which ${reported ? 'finished with it' : 'stopped sending heartbeats'}, and its message (task id ${task.task_id}) is no longer queued or held by any worker, so it will not run again by itself`
      : `lost: the task's message (task id ${task.task_id}) is in no queue ('${task.require}') and held by no worker, so it can never start (Redis lost it, or queueing it failed)`;
  const worker = reported ? `; the worker reported ${reported}` : '';
  return `${what}${worker}. What to do: restart() the task (nbgrid restart) to run it again.`;
}
