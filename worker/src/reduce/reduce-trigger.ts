/**
 * The transition "round R of group G is complete → its reduce task exists and is queued", made
 * exactly once however many callers make it at the same time (every worker finishing a task of
 * the group, a redelivered message of one, the API service's reconciler):
 *
 * 1. the round is read from the tasks (`roundState`): only a complete round goes on;
 * 2. what the round runs is worked out, writing nothing: the reduce task's ids, derived from
 *    (G, R) so every caller gets the same ones, its input, or why the round is skipped;
 * 3. the round document `<G>:reduce:<R>` is inserted with those ids: a unique `_id`, so exactly
 *    one caller wins;
 * 4. only the winner writes the reduce task (idempotent inserts under the claimed ids), publishes
 *    its message (its Celery id is the round's own), then marks the round queued.
 *
 * A reduce task document therefore exists only for a claimed round: no crash can leave a reduce
 * task that no round owns. A crash between 3 and 4 leaves a claimed, unqueued round; the reduce
 * reconciler writes its task if it is missing and publishes it once it sees no message for it,
 * and the task reconciler leaves such a task alone (`storage/stuck-tasks.ts`), so the order in
 * which the two run does not matter.
 */
import { InvalidInputError, NotFoundError } from '../domain/errors';
import type { INotebookRepository } from '../domain/notebook-repository';
import type { ITaskEvent, ITaskPublisher } from '../domain/ports';
import { roundId, roundState, type INewReduceTask, type IReduceRound, type IReduceSpec, type IReduceStore, type IReduceTaskRef } from '../domain/reduce';
import { taskEvent } from '../domain/task-event';
import type { ITaskRepository } from '../domain/task-repository';
import type { IRunNotebookKwargs, JsonValue } from '../domain/types';
import { reduceInputJson } from './reduce-input';

/** Largest reduce input (JSON bytes) stored with the reduce task (a document must stay below 16 MB). @defaultValue 12 MB */
export const MAX_REDUCE_INPUT_BYTES = 12 * 1024 * 1024;

export interface IReduceTriggerDeps {
  reduce: IReduceStore;
  tasks: Pick<ITaskRepository, 'summaries' | 'listExact'>;
  notebooks: Pick<INotebookRepository, 'describe'>;
  publisher: Pick<ITaskPublisher, 'publishMany'>;
  /** Announces the queued reduce task (`/api/events`). */
  emit?: (e: ITaskEvent) => void | Promise<void>;
  log?: (line: string) => void;
}

/** Groups remembered as having no reduce step (a map's `then` is stored before its tasks are queued). */
const NO_SPEC_MEMORY = 2000;

export class ReduceTrigger {
  private readonly withoutSpec = new Set<string>();

  constructor(private readonly deps: IReduceTriggerDeps) {}

  private log(line: string): void {
    (this.deps.log ?? (() => undefined))(line);
  }

  /**
   * A task of `taskGroup` is final: if the group has a reduce step and its round is complete,
   * make the transition. Never throws (a missed transition is the reconciler's); returns the
   * round this call created, else null.
   */
  async onTaskFinal(taskGroup: string): Promise<IReduceRound | null> {
    try {
      if (this.withoutSpec.has(taskGroup)) return null;
      const spec = await this.deps.reduce.spec(taskGroup);
      if (!spec) {
        this.withoutSpec.add(taskGroup);
        if (this.withoutSpec.size > NO_SPEC_MEMORY) this.withoutSpec.delete(this.withoutSpec.values().next().value as string);
        return null;
      }
      return await this.check(spec);
    } catch (err) {
      this.log(`reduce of group ${taskGroup} not checked (${err instanceof Error ? err.message : String(err)}); the reconciler will`);
      return null;
    }
  }

  /** Make the transition for the group's current round if it is complete and not made yet. */
  async check(spec: IReduceSpec): Promise<IReduceRound | null> {
    const { reduce } = this.deps;
    const state = roundState(await this.deps.tasks.summaries(spec.job, spec.task_group));
    if (!state.complete) return null;
    const id = roundId(spec.task_group, state.round);
    if ((await reduce.rounds(spec.task_group)).some((r) => r._id === id)) return null;
    const round: IReduceRound = {
      _id: id,
      job: spec.job,
      task_group: spec.task_group,
      round: state.round,
      notebook: spec.notebook,
      reduce_group: null,
      task_name: null,
      task_id: null,
      require: spec.require,
      skipped: skipReason(spec, state),
      queued: false,
      created: new Date().toISOString()
    };
    let task: INewReduceTask | null = null;
    if (round.skipped === null) {
      const planned = await this.plan(spec, state.round);
      if (typeof planned === 'string') round.skipped = planned;
      else {
        task = planned;
        Object.assign(round, planned.ref);
      }
    }
    if (round.skipped !== null) round.queued = true;
    if (!(await reduce.claimRound(round))) return null; // someone else made this transition
    if (round.skipped !== null || !task) {
      this.log(`reduce round ${id} of ${spec.job} skipped: ${round.skipped}`);
      return round;
    }
    await reduce.createReduceTask(task);
    await this.publish(round);
    return round;
  }

  /**
   * The reduce task of a claimed round whose claimer died before writing it (the reconciler's
   * repair): written now under the round's ids while the round is still the group's current,
   * complete one. False when it is not (restarted since, or its notebook is gone): then nothing
   * runs for this round.
   */
  async writeClaimedTask(round: IReduceRound): Promise<boolean> {
    if (!round.reduce_group || !round.task_name || !round.task_id) return false;
    const spec = await this.deps.reduce.spec(round.task_group);
    if (!spec) return false;
    const state = roundState(await this.deps.tasks.summaries(spec.job, spec.task_group));
    if (!state.complete || state.round !== round.round || skipReason(spec, state) !== null) return false;
    const planned = await this.plan(spec, round.round);
    if (typeof planned === 'string') {
      this.log(`reduce round ${round._id} of ${round.job} claimed but not run: ${planned}`);
      return false;
    }
    await this.deps.reduce.createReduceTask({ ...planned, ref: { reduce_group: round.reduce_group, task_name: round.task_name, task_id: round.task_id } });
    return true;
  }

  /** What a round's reduce task will be (nothing written), or why it cannot run. */
  private async plan(spec: IReduceSpec, round: number): Promise<(INewReduceTask & { ref: IReduceTaskRef }) | string> {
    let mainSha: string;
    try {
      const main = await this.deps.notebooks.describe(spec.notebook);
      if (main.language !== 'python') return `reduce notebook '${spec.notebook}' now has kernel '${main.kernel}'; only Python kernels are supported`;
      mainSha = main.sha256;
    } catch (err) {
      if (err instanceof NotFoundError) return `reduce notebook '${spec.notebook}' no longer exists; put it back and restart the group`;
      throw err;
    }
    const input = Buffer.from(reduceInputJson(spec.task_group, await this.deps.tasks.listExact(spec.job, spec.task_group)), 'utf8');
    if (input.byteLength > MAX_REDUCE_INPUT_BYTES) {
      return `the reduce input is ${input.byteLength} bytes of JSON, over ${MAX_REDUCE_INPUT_BYTES}: return smaller values from the tasks`;
    }
    const ref = await this.deps.reduce.reduceTaskRef(spec, round);
    return { spec, round, require: spec.require, main_sha256: mainSha, param: input, ref };
  }

  /** Publish a claimed round's message (its Celery id is fixed), then mark the round queued. */
  async publish(round: IReduceRound): Promise<void> {
    if (!round.task_name || !round.task_id || !round.reduce_group) return;
    const kwargs: IRunNotebookKwargs = { task_name: round.task_name, task_group: round.reduce_group, attempt: 1 };
    await this.deps.publisher.publishMany([{ taskId: round.task_id, queue: round.require, kwargs: { ...kwargs } as Record<string, JsonValue> }]);
    // logged before the mark (which may fail): one line per message published, counted by the fault tests
    this.log(`reduce round ${round._id} of ${round.job} queued: ${round.task_name} (${round.task_id})`);
    await this.deps.reduce.markQueued(round._id);
    try {
      await this.deps.emit?.(
        taskEvent({
          name: round.task_name,
          job: round.notebook,
          task_group: round.reduce_group,
          job_id: 0,
          task_id: round.task_id,
          state: 'PENDING',
          run_status: 'unknown',
          job_runs: [],
          reduce_of: { job: round.job, task_group: round.task_group, round: round.round }
        })
      );
    } catch {
      // status reads MongoDB; the event is a courtesy
    }
  }
}

/** Why a complete round does not run its reduce notebook, or null when it does. */
function skipReason(spec: IReduceSpec, state: { allOk: boolean; cancelled: boolean }): string | null {
  if (state.cancelled) return 'the group was cancelled (a task is REVOKED); restart it to reduce';
  if (spec.when === 'all_ok' && !state.allOk) return "not every task ended OK (when='all_ok'); restart the failed tasks, or map with when='always'";
  return null;
}

/** The check `map()` makes of a `then` before anything is stored. @throws InvalidInputError naming what to fix */
export async function checkReduceNotebook(notebooks: Pick<INotebookRepository, 'describe'>, name: string): Promise<void> {
  try {
    const nb = await notebooks.describe(name);
    if (nb.language !== 'python') {
      throw new InvalidInputError(`then.notebook '${name}' has kernel '${nb.kernel}' (language ${nb.language}); only Python kernels are supported`);
    }
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new InvalidInputError(`then.notebook '${name}' does not exist: store the reduce notebook first (om.jobs.put / nbgrid put ${name} FILE)`);
    }
    throw err;
  }
}
