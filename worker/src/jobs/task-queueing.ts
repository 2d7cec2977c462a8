/** Putting tasks on the queue, and telling the user when no live worker will take them. */
import type { ITaskPublisher, IWorkerInfo } from '../domain/ports';
import type { IRunNotebookKwargs, JsonValue } from '../domain/types';

/** One task to queue: its notebook, current Celery id and attempt, and its queue (label). */
export interface IQueuedTask {
  name: string;
  task_id: string;
  attempt: number;
  task_group: string;
  queue: string;
}

/** Publish `nbgrid.run_notebook` messages for `items` in one call (none: nothing is sent). */
export async function publishTasks(publisher: ITaskPublisher, items: IQueuedTask[]): Promise<void> {
  if (items.length === 0) return;
  await publisher.publishMany(
    items.map((t) => {
      const kwargs: IRunNotebookKwargs = { task_name: t.name, task_group: t.task_group, attempt: t.attempt };
      return { taskId: t.task_id, queue: t.queue, kwargs: { ...kwargs } as Record<string, JsonValue> };
    })
  );
}

/** Warnings for a map to `label`: none when a live worker serves it. */
export async function labelWarnings(liveWorkers: () => Promise<IWorkerInfo[]>, label: string): Promise<string[]> {
  let workers: IWorkerInfo[];
  try {
    workers = await liveWorkers();
  } catch (err) {
    return [`could not list live workers (${err instanceof Error ? err.message : String(err)}); tasks are queued anyway`];
  }
  if (workers.some((w) => w.labels.includes(label))) return [];
  return [`no live worker serves label '${label}'; the tasks stay queued until one starts (nbgrid worker --label ${label})`];
}
