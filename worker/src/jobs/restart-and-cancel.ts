/** `restart()` and `cancel()` of one task group: bulk updates, then revocations and messages. */
import { InvalidInputError } from '../domain/errors';
import type { ICancelResult, IRestartOptions, IRestartResult, ITaskEvent, ITaskPublisher } from '../domain/ports';
import type { INotebookRepository } from '../domain/notebook-repository';
import { taskEvent } from '../domain/task-event';
import type { ITaskRepository } from '../domain/task-repository';
import { isActive } from '../domain/task-state';
import { publishTasks } from './task-queueing';

/** What restart and cancel use. */
export interface IGroupControlDeps {
  notebooks: INotebookRepository;
  tasks: ITaskRepository;
  publisher: ITaskPublisher;
  emit: (e: ITaskEvent) => void;
}

/** Re-run the tasks of group `taskGroup` of `job` that have no OK run (`reset`: every task). */
export async function restartGroup(deps: IGroupControlDeps, job: string, taskGroup: string, options: IRestartOptions): Promise<IRestartResult> {
  let mainSha: string | undefined;
  if (options.refresh) {
    const main = await deps.notebooks.describe(job);
    // The same rule as map(): a task notebook can only be rendered for a Python kernel, and a
    // worker finding out later would fail every restarted task.
    if (main.language !== 'python') {
      throw new InvalidInputError(
        `cannot restart with refresh: notebook '${job}' now has kernel '${main.kernel}' (language ${main.language}), and only Python kernels are supported; ` +
          'put a Python notebook back under this name, or restart without refresh to re-run the notebook the tasks were mapped with'
      );
    }
    mainSha = main.sha256;
  }
  // Each task is decided as stored when written, under its lock: a run that finished OK
  // meanwhile wins (unless reset), and a task restarted by someone else meanwhile is restarted
  // once more from what that restart wrote.
  const restarts = await deps.tasks.restartGroup(job, taskGroup, { reset: !!options.reset, main_sha256: mainSha });
  // Queued or running copies of the old attempts would only duplicate work (they can no longer
  // write the task: its id changed).
  const stale = restarts.filter((r) => isActive(r.prev.state)).map((r) => r.prev.task_id);
  if (stale.length > 0) await deps.publisher.revoke(stale, { terminate: true });
  await publishTasks(
    deps.publisher,
    restarts.map((r) => ({ name: r.prev.name, task_id: r.task_id, attempt: r.attempt, task_group: taskGroup, queue: r.prev.require }))
  );
  for (const r of restarts) {
    deps.emit(taskEvent({ ...r.prev, task_id: r.task_id, state: 'PENDING', run_status: 'unknown', worker: null, job_runs: [] }));
  }
  return { task_group: taskGroup, restarted: restarts.map((r) => ({ name: r.prev.name, task_id: r.task_id })) };
}

/** Revoke the queued and running tasks of group `taskGroup` of `job`. */
export async function cancelGroup(deps: IGroupControlDeps, job: string, taskGroup: string): Promise<ICancelResult> {
  // REVOKED is stored before running tasks are interrupted: an interrupted task records its
  // run as soon as it stops, and must find its task revoked rather than still active.
  const active = await deps.tasks.revokeGroup(job, taskGroup);
  if (active.length > 0) await deps.publisher.revoke(active.map((t) => t.task_id), { terminate: true });
  for (const t of active) deps.emit(taskEvent({ ...t, state: 'REVOKED' }));
  return { task_group: taskGroup, revoked: active.length };
}
