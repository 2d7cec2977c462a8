/**
 * A reduce task's events, announced for its mapped group too: the reduce task is a task of the
 * reduce notebook (job `summary`), and a client following job `main` (the JupyterLab panel,
 * `/api/events?job=main`) sees it as its group's reduce row, marked with `reduce_round`.
 */
import type { ITaskEvent } from '../domain/ports';

/** `publish` for every event, and once more as the mapped group's reduce row for a reduce task's. */
export function withReduceEcho(publish: (e: ITaskEvent) => Promise<void>): (e: ITaskEvent) => Promise<void> {
  return async (e: ITaskEvent): Promise<void> => {
    await publish(e);
    if (e.reduce_of) {
      const { reduce_of, ...rest } = e;
      await publish({ ...rest, job: reduce_of.job, task_group: reduce_of.task_group, reduce_round: reduce_of.round });
    }
  };
}
