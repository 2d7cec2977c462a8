/**
 * Task notebooks rendered on demand: the main notebook (stored once, content-addressed) plus the
 * task's `injected-parameters` cell, so a map of 10,000 never stores 10,000 copies of it.
 */
import { decodeJson } from '../domain/json-bytes';
import type { IRenderedTask } from '../domain/task-repository';
import { renderTaskNotebook } from '../notebooks/inject-parameters';
import { asReduceNotebook } from '../notebooks/reduce-injection';
import type { BlobStore } from './blob-store';
import type { TaskQueries } from './task-queries';

export class TaskRenderer {
  /** Recently rendered main notebooks' bytes, by sha256: a worker renders many tasks of one map. */
  private readonly mainCache = new Map<string, Buffer>();

  constructor(
    private readonly queries: TaskQueries,
    private readonly blobs: BlobStore,
    /** How many main notebooks' bytes to keep in memory. @defaultValue 4 */
    private readonly cacheSize = 4
  ) {}

  private async mainBytes(sha: string): Promise<Buffer> {
    const hit = this.mainCache.get(sha);
    if (hit) return hit;
    const bytes = await this.blobs.get(sha);
    this.mainCache.set(sha, bytes);
    while (this.mainCache.size > this.cacheSize) this.mainCache.delete(this.mainCache.keys().next().value as string);
    return bytes;
  }

  /**
   * The task notebook of `taskName` (`.ipynb` optional): its main notebook with the
   * `injected-parameters` cell, rendered now, and the task.
   * @throws NotFoundError when the task does not exist
   */
  async renderTask(taskName: string): Promise<IRenderedTask> {
    const { task, param } = await this.queries.getExact(taskName);
    const main = decodeJson(await this.mainBytes(task.main_sha256));
    const rendered = renderTaskNotebook(main, {
      // the parameter's stored text, so the kernel's json.loads reads exactly what was sent
      param,
      job_id: task.job_id,
      task_group: task.task_group,
      task_name: task.name
    });
    // A reduce task's `job` is its input itself (job['results'], ...), not {'param': input}.
    const notebook = task.reduce_of ? asReduceNotebook(rendered) : rendered;
    return { notebook, task, param };
  }
}
