/**
 * The parts of restart and cancel beyond whole groups: named tasks (`tasks` in the body), and
 * omega|ml's rule for a plain `restart()`: a task whose OK run's result notebook was deleted has
 * no results any more, and is run again with the tasks that have no OK run.
 */
import { InvalidInputError } from '../domain/errors';
import type { INotebookRepository } from '../domain/notebook-repository';
import type { ICancelResult, IRestartOptions, IRestartResult } from '../domain/ports';
import { taskEvent } from '../domain/task-event';
import type { IGroupRestart } from '../domain/task-repository';
import { isActive } from '../domain/task-state';
import { parseTaskName, RESULTS_PREFIX, stripIpynb, taskName, TASKS_PREFIX } from '../notebooks/task-names';
import { restartGroup, type IGroupControlDeps } from './restart-and-cancel';
import { publishTasks } from './task-queueing';

/** Tasks of one group, named. */
export interface ITaskSelection {
  task_group: string;
  /** Task names without `.ipynb`, each once, in the order given. */
  names: string[];
}

/**
 * The tasks `tasks` (names, or job_ids as decimal strings) of `job` select: all in one group.
 * `group` resolves a task group id (the latest when undefined), as the job service does.
 * @throws InvalidInputError for a name of another job or of two groups; NotFoundError from `group`
 */
export async function selectTasks(
  job: string,
  tasks: string[],
  taskGroup: string | undefined,
  group: (taskGroup?: string) => Promise<string>
): Promise<ITaskSelection> {
  let named: string | undefined;
  for (const t of tasks) {
    if (/^\d+$/.test(t)) continue;
    const parsed = parseTaskName(t);
    if (!parsed || parsed.job !== job) {
      throw new InvalidInputError(
        `tasks: '${t}' is not a task of '${job}': give names as status() shows them (${TASKS_PREFIX}${job}/<group>-<i>.ipynb) or job_ids such as '3'`
      );
    }
    if (named !== undefined && parsed.task_group !== named) {
      throw new InvalidInputError(`tasks: name tasks of one task group per call (got ${named} and ${parsed.task_group})`);
    }
    named = parsed.task_group;
  }
  if (named !== undefined && taskGroup !== undefined && taskGroup !== '' && taskGroup !== named) {
    throw new InvalidInputError(`tasks: the tasks named are of task group ${named}, not of task_group ${taskGroup}`);
  }
  const resolved = await group(named ?? taskGroup);
  const names = tasks.map((t) => (/^\d+$/.test(t) ? taskName(job, resolved, Number(t)) : stripIpynb(t)));
  return { task_group: resolved, names: [...new Set(names)] };
}

/** The content address to re-point restarted tasks at with `refresh` (the same rule as a group restart). */
async function refreshedMain(notebooks: INotebookRepository, job: string, refresh: boolean | undefined): Promise<string | undefined> {
  if (!refresh) return undefined;
  const main = await notebooks.describe(job);
  if (main.language !== 'python') {
    throw new InvalidInputError(
      `cannot restart with refresh: notebook '${job}' now has kernel '${main.kernel}' (language ${main.language}), and only Python kernels are supported; ` +
        'put a Python notebook back under this name, or restart without refresh to re-run the notebook the tasks were mapped with'
    );
  }
  return main.sha256;
}

/** Revoke what the restarted tasks had queued or running, queue them, and tell the listeners. */
async function queueRestarts(deps: IGroupControlDeps, taskGroup: string, restarts: IGroupRestart[]): Promise<void> {
  const stale = restarts.filter((r) => isActive(r.prev.state)).map((r) => r.prev.task_id);
  if (stale.length > 0) await deps.publisher.revoke(stale, { terminate: true });
  await publishTasks(
    deps.publisher,
    restarts.map((r) => ({ name: r.prev.name, task_id: r.task_id, attempt: r.attempt, task_group: taskGroup, queue: r.prev.require }))
  );
  for (const r of restarts) {
    deps.emit(taskEvent({ ...r.prev, task_id: r.task_id, state: 'PENDING', run_status: 'unknown', worker: null, job_runs: [] }));
  }
}

/** Run the selected tasks again, whatever their state (`refresh`: from the current main notebook). */
export async function restartSelected(deps: IGroupControlDeps, job: string, selection: ITaskSelection, options: IRestartOptions): Promise<IRestartResult> {
  const mainSha = await refreshedMain(deps.notebooks, job, options.refresh);
  const restarts = await deps.tasks.restartNamed(job, selection.task_group, selection.names, { main_sha256: mainSha });
  await queueRestarts(deps, selection.task_group, restarts);
  return { task_group: selection.task_group, restarted: restarts.map((r) => ({ name: r.prev.name, task_id: r.task_id })) };
}

/** Revoke those of the selected tasks that are queued or running. */
export async function cancelSelected(deps: IGroupControlDeps, job: string, selection: ITaskSelection): Promise<ICancelResult> {
  // REVOKED is stored before running tasks are interrupted, as for a group (restart-and-cancel.ts)
  const active = await deps.tasks.revokeNamed(job, selection.task_group, selection.names);
  if (active.length > 0) await deps.publisher.revoke(active.map((t) => t.task_id), { terminate: true });
  for (const t of active) deps.emit(taskEvent({ ...t, state: 'REVOKED' }));
  return { task_group: selection.task_group, revoked: active.length };
}

/** The result notebooks of a group's tasks that exist now, by name. */
async function resultNotebooks(notebooks: INotebookRepository, job: string, taskGroup: string): Promise<Set<string>> {
  const infos = await notebooks.listResults(`${RESULTS_PREFIX}${TASKS_PREFIX}${job}/${taskGroup}-`);
  return new Set(infos.map((i) => i.name));
}

/**
 * `restart()` without `reset`, as omega|ml has it: the tasks without an OK run, and the tasks
 * whose results are gone (their OK run's result notebook was deleted), run again; the others
 * are named in `with_results`.
 */
export async function restartWithoutResults(deps: IGroupControlDeps, job: string, taskGroup: string, options: IRestartOptions): Promise<IRestartResult> {
  const [rows, existing] = await Promise.all([deps.tasks.statusRows(job, taskGroup), resultNotebooks(deps.notebooks, job, taskGroup)]);
  const ok = rows.filter((r) => r.run_status === 'OK');
  const gone = ok.filter((r) => typeof r.results === 'string' && r.results !== '' && !existing.has(r.results));
  const result = await restartGroup(deps, job, taskGroup, { ...options, reset: false });
  let restarted = result.restarted;
  if (gone.length > 0) {
    const mainSha = await refreshedMain(deps.notebooks, job, options.refresh);
    // A task of these restarted meanwhile by someone else is not restarted twice: only if it still has the id read.
    const expected = new Map(gone.map((r) => [stripIpynb(r.name), r.task_id]));
    const restarts = await deps.tasks.restartNamed(job, taskGroup, [...expected.keys()], { main_sha256: mainSha, expected_task_ids: expected });
    await queueRestarts(deps, taskGroup, restarts);
    restarted = [...restarted, ...restarts.map((r) => ({ name: r.prev.name, task_id: r.task_id }))];
  }
  const again = new Set(restarted.map((t) => stripIpynb(t.name)));
  const withResults = ok.map((r) => stripIpynb(r.name)).filter((n) => !again.has(n));
  return { ...result, restarted, with_results: withResults };
}
