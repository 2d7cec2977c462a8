/**
 * The reduce step's repair, run at the start of every pass of the API service's task reconciler
 * (`runtime/task-reconciler.ts`), for the transitions a crash interrupted:
 *
 * - a group whose tasks are all final but whose round was never claimed (the worker that
 *   finished the last task died before its hook ran, and no redelivery got to it): the same
 *   transition a worker makes (`ReduceTrigger.check`, exactly once by its unique round `_id`);
 * - a round claimed but never marked queued (its claimer died before or after publishing): its
 *   reduce task is written if the claimer died before that (only a claimer writes it), and its
 *   message is published again only when its task never ran and no message for it is queued or
 *   held by a worker, looked at twice `recheckMs` apart like the task reconciler does (a message
 *   popped is registered as unacked a moment later), and once per round (a unique marker
 *   `republish:<round>`). The Celery id is the round's own, so a worker's run of it records once.
 */
import type { IQueueInspector } from '../domain/queue-inspector';
import type { IReduceRound, IReduceStore } from '../domain/reduce';
import type { ITask } from '../domain/types';
import type { ReduceTrigger } from './reduce-trigger';

export interface IReduceReconcilerOptions {
  trigger: ReduceTrigger;
  reduce: IReduceStore;
  queue: IQueueInspector;
  /** A task by name. */
  getTask: (name: string) => Promise<ITask>;
  /** Groups with a reduce step checked per pass, newest first. @defaultValue 200 */
  groupsPerPass?: number;
  /** Rounds claimed more recently than this are left to their claimer. @defaultValue 20000 */
  minAgeMs?: number;
  /** Pause between the two looks at the queue. @defaultValue 2000 */
  recheckMs?: number;
  log?: (line: string) => void;
}

/** What one pass did. */
export interface IReduceReconcileReport {
  /** Rounds this pass claimed (and queued or skipped). */
  claimed: string[];
  /** Claimed rounds whose message this pass published again. */
  republished: string[];
}

export async function reconcileReduce(options: IReduceReconcilerOptions): Promise<IReduceReconcileReport> {
  const log = options.log ?? (() => undefined);
  const claimed: string[] = [];
  for (const spec of await options.reduce.recentSpecs(options.groupsPerPass ?? 200)) {
    try {
      const round = await options.trigger.check(spec);
      if (round) claimed.push(round._id);
    } catch (err) {
      log(`reduce of group ${spec.task_group} not checked: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const before = new Date(Date.now() - (options.minAgeMs ?? 20000)).toISOString();
  let waiting: IReduceRound[] = [];
  for (const round of await options.reduce.unqueued(before)) {
    if (!round.task_name || !round.task_id) {
      await options.reduce.markQueued(round._id);
      continue;
    }
    let task = await options.getTask(round.task_name).catch(() => null);
    if (!task) {
      // Its claimer died before writing the reduce task, so nothing was published: write it now
      // (idempotent under the round's ids), then it is published like any unpublished round.
      if (!(await options.trigger.writeClaimedTask(round))) {
        await options.reduce.markQueued(round._id);
        continue;
      }
      task = await options.getTask(round.task_name).catch(() => null);
    }
    if (!task || task.task_id !== round.task_id || task.state !== 'PENDING' || task.runs_total > 0) {
      // it ran, or was restarted or cancelled since: its message was published
      await options.reduce.markQueued(round._id);
      continue;
    }
    waiting.push(round);
  }
  const republished: string[] = [];
  if (waiting.length === 0) return { claimed, republished };
  const queues = [...new Set(waiting.map((r) => r.require))];
  const noMessage = async (): Promise<void> => {
    const live = await options.queue.liveMessageIds(queues);
    for (const r of waiting) if (live.has(r.task_id as string)) await options.reduce.markQueued(r._id);
    waiting = waiting.filter((r) => !live.has(r.task_id as string));
  };
  await noMessage();
  if (waiting.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, options.recheckMs ?? 2000));
    await noMessage();
  }
  for (const round of waiting) {
    // Once per round, whoever else reconciles at the same time: a second message of the same
    // task id delivered while the first runs would look like a lost run and run it again. A
    // republished message lost as well is the task reconciler's (the task ends FAILURE, restart() runs it).
    if (!(await options.reduce.claimOnce(`republish:${round._id}`))) {
      await options.reduce.markQueued(round._id);
      continue;
    }
    await options.trigger.publish(round);
    republished.push(round._id);
    log(`reduce round ${round._id} was claimed but never queued: queued now`);
  }
  return { claimed, republished };
}
