/**
 * The job service's view of task groups and tasks (`ITaskRepository`), made of the storage parts
 * that each do one job: groups and lazy materialization (TaskGroups), the status index
 * (IndexedStatus), reads (TaskQueries), rendering (TaskRenderer) and bulk updates
 * (TaskBulkUpdates). Here storage documents become domain types.
 */
import { packCached } from './cached-tasks';
import type { IExactTask, ITaskValues, IGroupRestart, INamedRestartOptions, INewMap, IRenderedTask, IStoredMap, ITaskRepository, ITaskRestart } from '../domain/task-repository';
import type { ITaskSummary } from '../domain/task-state';
import type { INotebookInfo, IStatusRow, ITask, ITaskGroup } from '../domain/types';
import { newTaskGroup } from '../notebooks/task-names';
import { currentMapOrigin, stopIfValidatingOnly } from '../domain/map-origin';
import { nextSeq, toTaskSummary, type ITaskDoc, type ITaskGroupDoc } from './documents';
import type { IndexedStatus } from './indexed-status';
import type { TaskBulkUpdates } from './task-bulk-updates';
import type { TaskGroups } from './task-groups';
import type { TaskQueries } from './task-queries';
import type { TaskRenderer } from './task-renderer';
import type { TaskSelectedUpdates } from './task-selected-updates';
import type { ResultsTableValues } from './results-table-values';

export class TaskRepository implements ITaskRepository {
  /** Maps this process stored whose task documents are not written yet, by group id. */
  private readonly unwritten = new Map<string, { group: ITaskGroupDoc; docs: ITaskDoc[] }>();

  constructor(
    private readonly groupStore: TaskGroups,
    private readonly queries: TaskQueries,
    private readonly status: IndexedStatus,
    private readonly renderer: TaskRenderer,
    private readonly bulk: TaskBulkUpdates,
    /** Restart and cancel of named tasks. */
    private readonly selected?: TaskSelectedUpdates,
    /** A results table's values from the read model in Redis; without it tables read the task documents. */
    private readonly resultValues?: ResultsTableValues
  ) {}

  async createMap(map: INewMap): Promise<IStoredMap> {
    stopIfValidatingOnly();
    const created = new Date().toISOString();
    const seq = nextSeq();
    // A schedule's map has its group id fixed by the occurrence (see domain/map-origin.ts): the
    // group's unique `_id` is what makes a second submission of that occurrence fail.
    const origin = currentMapOrigin();
    let id = origin?.task_group ?? newTaskGroup();
    while (!origin && (await this.groupStore.groupIdTaken(id))) id = newTaskGroup();
    const cached = map.cached?.length ? packCached(map.cached) : undefined;
    const group: ITaskGroupDoc = {
      _id: id,
      job: map.job,
      count: map.params.length,
      require: map.require,
      cell_timeout: map.cell_timeout,
      main_sha256: map.main_sha256,
      created,
      seq,
      ...(cached ? { cached_tasks: cached.rows } : {}),
      ...(origin ? { schedule: origin.schedule, occurrence: origin.occurrence } : {})
    };
    const docs = await this.groupStore.createMap(group, map.params, cached?.results);
    this.unwritten.set(id, { group, docs });
    return { task_group: id, tasks: docs.map(toTaskSummary) };
  }

  async materialize(taskGroup: string): Promise<void> {
    const mine = this.unwritten.get(taskGroup);
    // Another process's map (or one already written): whoever reads its tasks creates them.
    if (!mine) return;
    try {
      await this.groupStore.materialize(mine.group, mine.docs);
    } finally {
      // A failed write is not retried from here: the next read of the group creates the tasks.
      this.unwritten.delete(taskGroup);
    }
  }

  async deleteGroup(taskGroup: string): Promise<void> {
    this.unwritten.delete(taskGroup);
    await this.groupStore.deleteGroup(taskGroup);
    await this.resultValues?.forget(taskGroup);
  }

  async latestGroup(job: string): Promise<string | null> {
    return (await this.groupStore.latestGroup(job))?._id ?? null;
  }

  async hasGroup(job: string, taskGroup: string): Promise<boolean> {
    return (await this.groupStore.findGroup(job, taskGroup)) !== null;
  }

  async groups(job: string): Promise<ITaskGroup[]> {
    const [groups, counts] = await Promise.all([this.groupStore.listGroups(job), this.queries.stateCounts(job)]);
    return groups.map((g) => ({
      task_group: g._id,
      job: g.job,
      count: g.count,
      require: g.require,
      created: g.created,
      states: counts.get(g._id) ?? {},
      ...(g.schedule ? { schedule: g.schedule, occurrence: g.occurrence } : {})
    }));
  }

  async summaries(job: string, taskGroup: string): Promise<ITaskSummary[]> {
    return (await this.queries.summaries(job, taskGroup)).map(toTaskSummary);
  }

  async statusRows(job: string, taskGroup: string): Promise<IStatusRow[]> {
    return JSON.parse(await this.statusJson(job, taskGroup)) as IStatusRow[];
  }

  statusJson(job: string, taskGroup: string): Promise<string> {
    return this.status.json(job, taskGroup);
  }

  list(job: string, taskGroup: string): Promise<ITask[]> {
    return this.queries.list(job, taskGroup);
  }

  listExact(job: string, taskGroup: string): Promise<IExactTask[]> {
    return this.queries.listExact(job, taskGroup);
  }

  listValues(job: string, taskGroup: string): Promise<ITaskValues[]> {
    return this.queries.listValues(job, taskGroup);
  }

  listTaskNotebooks(prefix: string): Promise<INotebookInfo[]> {
    return this.queries.listTaskNotebooks(prefix);
  }

  renderTask(taskName: string): Promise<IRenderedTask> {
    return this.renderer.renderTask(taskName);
  }

  restartTasks(restarts: ITaskRestart[]): Promise<string[]> {
    return this.bulk.restartTasks(restarts);
  }

  restartGroup(job: string, taskGroup: string, options: { reset: boolean; main_sha256?: string }): Promise<IGroupRestart[]> {
    return this.bulk.restartGroup(job, taskGroup, options);
  }

  revokeGroup(job: string, taskGroup: string): Promise<ITaskSummary[]> {
    return this.bulk.revokeGroup(job, taskGroup);
  }

  summariesOf(job: string, taskGroup: string, names: string[]): Promise<ITaskSummary[]> {
    return this.selectedUpdates().summaries(job, taskGroup, names);
  }

  restartNamed(job: string, taskGroup: string, names: string[], options: INamedRestartOptions): Promise<IGroupRestart[]> {
    return this.selectedUpdates().restart(job, taskGroup, names, options);
  }

  revokeNamed(job: string, taskGroup: string, names: string[]): Promise<ITaskSummary[]> {
    return this.selectedUpdates().revoke(job, taskGroup, names);
  }

  async tableValues(job: string, taskGroup: string, rows: IStatusRow[]): Promise<ITaskValues[] | null> {
    return this.resultValues ? this.resultValues.values(job, taskGroup, rows) : null;
  }

  private selectedUpdates(): TaskSelectedUpdates {
    if (!this.selected) throw new Error('TaskRepository: no TaskSelectedUpdates given');
    return this.selected;
  }
}
