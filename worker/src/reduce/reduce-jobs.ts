/**
 * What the job service does for a group's reduce step: check and store a map's `then`, show the
 * reduce row in status, the reduced value in results, and cancel or restart the reduce task with
 * its group. The reduce task itself is an ordinary one-task group of the reduce notebook.
 */
import { InvalidInputError } from '../domain/errors';
import type { JsonText } from '../domain/json-bytes';
import type { INotebookRepository } from '../domain/notebook-repository';
import type { ICancelResult, IRestartResult } from '../domain/ports';
import type { IReduceRound, IReduceSpec, IReduceStore } from '../domain/reduce';
import { statusRow } from '../domain/status-row';
import type { ITaskRepository } from '../domain/task-repository';
import { isActive } from '../domain/task-state';
import type { IStatusRow } from '../domain/types';
import type { IThen } from '../schemas/reduce';
import { REDUCE_WHEN } from '../schemas/reduce';
import { labelProblem } from '../domain/names';
import { checkReduceNotebook } from './reduce-trigger';

/** A map's `then`, checked (the reduce notebook exists and is Python), as the spec to store. */
export async function checkThen(
  notebooks: Pick<INotebookRepository, 'describe'>,
  then: IThen | null | undefined,
  map: { job: string; require: string; cell_timeout: number | null }
): Promise<Omit<IReduceSpec, 'task_group'> | null> {
  if (then === undefined || then === null) return null;
  if (typeof then !== 'object' || typeof then.notebook !== 'string') {
    throw new InvalidInputError("then must be {notebook: '<stored notebook>', when: 'all_ok' | 'always'}");
  }
  const when = then.when ?? 'all_ok';
  if (!REDUCE_WHEN.includes(when)) throw new InvalidInputError(`then.when must be 'all_ok' or 'always', got ${JSON.stringify(when)}`);
  const require = then.require ?? map.require;
  const labelError = labelProblem(require, 'then.require');
  if (labelError !== null) throw new InvalidInputError(labelError);
  await checkReduceNotebook(notebooks, then.notebook);
  return { job: map.job, notebook: then.notebook, when, require, cell_timeout: map.cell_timeout, created: new Date().toISOString() };
}

/** The newest round of a group that has a reduce task, or null. */
export async function latestReduce(reduce: IReduceStore, taskGroup: string): Promise<IReduceRound | null> {
  // by `_id` first (O(1) on FerretDB): most groups have no reduce step
  if (!(await reduce.spec(taskGroup))) return null;
  const rounds = (await reduce.rounds(taskGroup)).filter((r) => r.reduce_group && r.task_name);
  return rounds.length > 0 ? rounds[rounds.length - 1] : null;
}

/** The group's reduce row (its newest round's task, marked with `reduce_round`), or null. */
export async function reduceRow(reduce: IReduceStore, tasks: Pick<ITaskRepository, 'summaries'>, taskGroup: string): Promise<IStatusRow | null> {
  const round = await latestReduce(reduce, taskGroup);
  if (!round) return null;
  const [task] = await tasks.summaries(round.notebook, round.reduce_group as string);
  if (!task) return null;
  return { ...statusRow(task), reduce_round: round.round };
}

/** `rows` (a JSON array's text) with the reduce row appended when the group has one. */
export async function withReduceRowJson(json: string, reduce: IReduceStore, tasks: Pick<ITaskRepository, 'summaries'>, taskGroup: string): Promise<string> {
  const row = await reduceRow(reduce, tasks, taskGroup);
  if (!row) return json;
  const body = json.trim();
  const inner = body.slice(1, -1).trim();
  return `[${inner}${inner ? ',' : ''}${JSON.stringify(row)}]`;
}

/** The reduce task's returned value (newest round) as stored JSON text, or null. */
export async function reducedJson(reduce: IReduceStore, tasks: Pick<ITaskRepository, 'listExact'>, taskGroup: string): Promise<JsonText | null> {
  const round = await latestReduce(reduce, taskGroup);
  if (!round) return null;
  const [exact] = await tasks.listExact(round.notebook, round.reduce_group as string);
  return exact && exact.task.run_status === 'OK' && exact.result ? exact.result : null;
}

/** The reduce group to cancel with `taskGroup` (its newest round's, while queued or running), or null. */
export async function reduceToCancel(reduce: IReduceStore, tasks: Pick<ITaskRepository, 'summaries'>, taskGroup: string): Promise<IReduceRound | null> {
  const round = await latestReduce(reduce, taskGroup);
  if (!round) return null;
  const [task] = await tasks.summaries(round.notebook, round.reduce_group as string);
  return task && isActive(task.state) ? round : null;
}

/** The reduce group to restart with `taskGroup` (newest round, final without an OK run), or null. */
export async function reduceToRestart(reduce: IReduceStore, tasks: Pick<ITaskRepository, 'summaries'>, taskGroup: string): Promise<IReduceRound | null> {
  const round = await latestReduce(reduce, taskGroup);
  if (!round) return null;
  const [task] = await tasks.summaries(round.notebook, round.reduce_group as string);
  return task && !isActive(task.state) && task.run_status !== 'OK' ? round : null;
}

/** A cancel's answer with the reduce task counted. */
export function plusCancelled(result: ICancelResult, cancelled: ICancelResult | null): ICancelResult {
  return cancelled ? { ...result, revoked: result.revoked + cancelled.revoked } : result;
}

/** A restart's answer with the reduce task listed. */
export function plusRestarted(result: IRestartResult, restarted: IRestartResult | null): IRestartResult {
  return restarted ? { ...result, restarted: [...result.restarted, ...restarted.restarted] } : result;
}
