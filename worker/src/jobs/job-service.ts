/**
 * What `job.map()`, `job.status()`, `job.restart()`, ... do: the REST API and the CLI call this.
 * It validates input before anything is written, stores through the storage ports
 * (`INotebookRepository`, `ITaskRepository`) and queues through an ITaskPublisher (the Celery
 * producer).
 */
import { InvalidInputError, NotFoundError } from '../domain/errors';
import { encodeJson, responseJson, sha256, type JsonText } from '../domain/json-bytes';
import type { INotebookRepository } from '../domain/notebook-repository';
import type {
  ICancelResult,
  IJobService,
  IMapOptions,
  IMapResult,
  INotebookWithContent,
  IRestartOptions,
  IRestartResult,
  IResults,
  ITaskEvent,
  ITaskPublisher,
  IWorkerInfo
} from '../domain/ports';
import { statusRow } from '../domain/status-row';
import type { IStorage } from '../domain/storage';
import { taskEvent } from '../domain/task-event';
import type { ITaskRepository } from '../domain/task-repository';
import type { INotebookInfo, IStatusRow, ITask, ITaskGroup, JsonValue } from '../domain/types';
import { validateNotebook } from '../notebooks/validate-notebook';
import { RESULTS_PREFIX, TASKS_PREFIX, parseTaskName, taskNotebookPath, validateName } from '../notebooks/task-names';
import { checkMapOptions, MAX_PARAM_BYTES } from './map-options';
import { cancelGroup, restartGroup, type IGroupControlDeps } from './restart-and-cancel';
import { labelWarnings, publishTasks } from './task-queueing';

export interface IJobServiceDeps {
  /** Where notebooks, task groups and tasks are stored (an `NbgridStore`). */
  store: Pick<IStorage, 'notebooks' | 'tasks'>;
  publisher: ITaskPublisher;
  /** Workers whose heartbeat is recent; used to warn when nobody serves a map's label. */
  liveWorkers: () => Promise<IWorkerInfo[]>;
  /** Called for every task state change this service makes. */
  emit: (e: ITaskEvent) => void;
  /** Where background problems are reported. */
  log?: (line: string) => void;
  /**
   * Deletes every task group of a job (refusing running ones), for `deleteNotebook` with
   * `delete_groups`; without it such a delete is refused.
   */
  deleteJobGroups?: (job: string) => Promise<void>;
}

/** The bytes of a parameter as sent, checked like the serialized ones (a number's digits can be many). */
function exactParamBytes(param: JsonText, i: number): Buffer {
  const bytes = Buffer.from(param.text, 'utf8');
  if (bytes.byteLength > MAX_PARAM_BYTES) {
    throw new InvalidInputError(
      `params[${i}] is ${bytes.byteLength} bytes of JSON; one parameter may be at most ${MAX_PARAM_BYTES}: store large data elsewhere and pass its name`
    );
  }
  return bytes;
}

export class JobService implements IJobService {
  /** Background writes of maps' task documents still running. */
  private readonly pending = new Set<Promise<void>>();
  private readonly notebooks: INotebookRepository;
  private readonly tasksRepo: ITaskRepository;

  constructor(private readonly deps: IJobServiceDeps) {
    this.notebooks = deps.store.notebooks;
    this.tasksRepo = deps.store.tasks;
  }

  private log(line: string): void {
    (this.deps.log ?? (() => undefined))(line);
  }

  /** Resolves when every map's task documents are written (for shutdown and tests). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  // ---- notebooks -------------------------------------------------------------------------

  async putNotebook(name: string, content: unknown): Promise<INotebookInfo> {
    validateName(name);
    if (name.startsWith(TASKS_PREFIX) || name.startsWith(RESULTS_PREFIX)) {
      throw new InvalidInputError(
        `notebook name '${name}' is reserved: names under ${TASKS_PREFIX} and ${RESULTS_PREFIX} are task and result notebooks nbgrid makes`
      );
    }
    const nb = validateNotebook(content);
    return this.notebooks.put(name, nb);
  }

  async getNotebook(name: string): Promise<INotebookWithContent> {
    validateName(name);
    if (name.startsWith(RESULTS_PREFIX)) return this.notebooks.getResult(name);
    if (name.startsWith(TASKS_PREFIX)) {
      if (!parseTaskName(name)) throw new NotFoundError(`'${name}' is not a task notebook name (tasks/<notebook>/<group>-<i>.ipynb)`);
      const { notebook, task } = await this.tasksRepo.renderTask(name);
      const bytes = encodeJson(notebook, 'notebook');
      return {
        name: taskNotebookPath(task.name),
        sha256: sha256(bytes),
        size: bytes.byteLength,
        created: task.created,
        modified: task.updated,
        content: notebook
      };
    }
    return this.notebooks.get(name);
  }

  /**
   * Every notebook whose name starts with `prefix`: main notebooks, task notebooks
   * (`tasks/<nb>/<group>-<i>.ipynb`; sha256 and size are those of the main notebook they are
   * rendered from) and result notebooks.
   */
  async listNotebooks(prefix: string): Promise<INotebookInfo[]> {
    if (typeof prefix !== 'string') throw new InvalidInputError('prefix must be a string');
    const out: INotebookInfo[] = [];
    if (!prefix.startsWith(TASKS_PREFIX) && !prefix.startsWith(RESULTS_PREFIX)) {
      out.push(...(await this.notebooks.list(prefix)));
    }
    if (TASKS_PREFIX.startsWith(prefix) || prefix.startsWith(TASKS_PREFIX)) {
      out.push(...(await this.tasksRepo.listTaskNotebooks(prefix)));
    }
    if (RESULTS_PREFIX.startsWith(prefix) || prefix.startsWith(RESULTS_PREFIX)) {
      out.push(...(await this.notebooks.listResults(prefix)));
    }
    return out;
  }

  async deleteNotebook(name: string, options: { delete_groups?: boolean } = {}): Promise<void> {
    validateName(name);
    if (name.startsWith(RESULTS_PREFIX)) return this.notebooks.deleteResult(name);
    if (name.startsWith(TASKS_PREFIX)) {
      throw new InvalidInputError(`task notebooks are rendered from their main notebook and cannot be deleted ('${name}')`);
    }
    // Its groups' task notebooks are rendered from it: they go first, or the notebook stays.
    if (await this.tasksRepo.latestGroup(name)) {
      if (!options.delete_groups || !this.deps.deleteJobGroups) {
        throw new InvalidInputError(
          `notebook '${name}' has task groups; delete them first (om.runtime.cleanup(job='${name}'), nbgrid gc --job '${name}') or delete the notebook with delete_groups=true`
        );
      }
      await this.deps.deleteJobGroups(name);
    }
    return this.notebooks.delete(name);
  }

  // ---- jobs ------------------------------------------------------------------------------

  async map(job: string, options: IMapOptions, exactParams?: JsonText[]): Promise<IMapResult> {
    validateName(job, 'job name');
    const { require, cellTimeout, paramBytes: encoded } = checkMapOptions(options);
    if (exactParams && exactParams.length !== encoded.length) {
      throw new Error(`map: ${exactParams.length} exact parameter texts for ${encoded.length} parameters`);
    }
    // The texts as sent when the caller has them (the REST API): JavaScript numbers would change them.
    const paramBytes = exactParams ? exactParams.map((p, i) => exactParamBytes(p, i)) : encoded;
    const main = await this.notebooks.describe(job);
    if (main.language !== 'python') {
      throw new InvalidInputError(`cannot map notebook '${job}': its kernel '${main.kernel}' (language ${main.language}) is not supported; only Python kernels are`);
    }
    // Refused before anything is stored while the queue is down (503 naming Redis, at once).
    await this.deps.publisher.ensureReachable?.();
    // One group document holding every parameter: the map is stored, whatever its size, before
    // anything is queued. The task documents are written after the messages, in the background.
    const stored = await this.tasksRepo.createMap({ job, require, cell_timeout: cellTimeout, main_sha256: main.sha256, params: paramBytes });
    const group = stored.task_group;
    try {
      await publishTasks(
        this.deps.publisher,
        stored.tasks.map((t) => ({ name: t.name, task_id: t.task_id, attempt: 1, task_group: group, queue: require }))
      );
    } catch (err) {
      // Nothing was queued (or not all of it): take the map back so a rejected map changes nothing.
      await this.tasksRepo.deleteGroup(group).catch(() => undefined);
      throw err;
    }
    const settled = this.tasksRepo.materialize(group).catch((err: unknown) => {
      // Not lost: whoever next reads the group's tasks creates them (see storage/task-groups.ts).
      this.log(`task documents of group ${group} not written yet (${err instanceof Error ? err.message : String(err)}); they will be on first read`);
    });
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
    for (const t of stored.tasks) this.deps.emit(taskEvent(t));
    return {
      task_group: group,
      job,
      count: stored.tasks.length,
      require,
      tasks: stored.tasks.map((t) => ({ name: t.name, task_id: t.task_id })),
      warnings: await labelWarnings(this.deps.liveWorkers, require)
    };
  }

  /** The group `taskGroup` of `job`, or its latest group. @throws NotFoundError */
  private async group(job: string, taskGroup?: string): Promise<string> {
    validateName(job, 'job name');
    if (taskGroup === undefined || taskGroup === '') {
      const latest = await this.tasksRepo.latestGroup(job);
      if (!latest) throw new NotFoundError(`job '${job}' has no task groups yet; start one with map()`);
      return latest;
    }
    if (typeof taskGroup !== 'string' || !/^[0-9a-f]{8}$/.test(taskGroup)) {
      throw new InvalidInputError(`task_group must be 8 hex digits (as returned by map()), got ${JSON.stringify(taskGroup)}`);
    }
    if (!(await this.tasksRepo.hasGroup(job, taskGroup))) {
      throw new NotFoundError(`job '${job}' has no task group '${taskGroup}'; list them with groups()`);
    }
    return taskGroup;
  }

  async status(job: string, taskGroup?: string): Promise<IStatusRow[]> {
    if (taskGroup === '*') {
      validateName(job, 'job name');
      return (await this.tasksRepo.summaries(job, '*')).map(statusRow);
    }
    return this.tasksRepo.statusRows(job, await this.group(job, taskGroup));
  }

  /** `status()` as the JSON text of the rows array (what the REST API sends, unparsed). */
  async statusJson(job: string, taskGroup?: string): Promise<string> {
    if (taskGroup === '*') return JSON.stringify(await this.status(job, taskGroup));
    return this.tasksRepo.statusJson(job, await this.group(job, taskGroup));
  }

  async tasks(job: string, taskGroup?: string): Promise<ITask[]> {
    if (taskGroup === '*') {
      validateName(job, 'job name');
      return this.tasksRepo.list(job, '*');
    }
    return this.tasksRepo.list(job, await this.group(job, taskGroup));
  }

  /** `{"tasks": [...]}` with each parameter and returned value exactly as stored. */
  async tasksJson(job: string, taskGroup?: string): Promise<string> {
    const group = taskGroup === '*' ? '*' : await this.group(job, taskGroup);
    if (group === '*') validateName(job, 'job name');
    const tasks = (await this.tasksRepo.listExact(job, group)).map(({ task, param, result }) => ({ ...task, param, result }));
    return responseJson({ tasks });
  }

  private get control(): IGroupControlDeps {
    return { notebooks: this.notebooks, tasks: this.tasksRepo, publisher: this.deps.publisher, emit: this.deps.emit };
  }

  async restart(job: string, options: IRestartOptions = {}): Promise<IRestartResult> {
    return restartGroup(this.control, job, await this.group(job, options.task_group), options);
  }

  async cancel(job: string, options: { task_group?: string } = {}): Promise<ICancelResult> {
    return cancelGroup(this.control, job, await this.group(job, options.task_group));
  }

  async results(job: string, taskGroup?: string): Promise<IResults> {
    const g = await this.group(job, taskGroup);
    const tasks = await this.tasksRepo.list(job, g);
    const results: JsonValue[] = [];
    const missing: number[] = [];
    for (const t of tasks) {
      if (t.run_status === 'OK') {
        results.push(t.result ?? null);
      } else {
        results.push(null);
        missing.push(t.job_id);
      }
    }
    return { task_group: g, results, missing };
  }

  /** `results` with each returned value exactly as stored (JSON text, not JavaScript numbers). */
  async resultsJson(job: string, taskGroup?: string): Promise<string> {
    const g = await this.group(job, taskGroup);
    const results: (JsonText | null)[] = [];
    const missing: number[] = [];
    for (const { task, result } of await this.tasksRepo.listExact(job, g)) {
      if (task.run_status === 'OK') {
        results.push(result ?? null);
      } else {
        results.push(null);
        missing.push(task.job_id);
      }
    }
    return responseJson({ task_group: g, results, missing });
  }

  async groups(job: string): Promise<ITaskGroup[]> {
    validateName(job, 'job name');
    return this.tasksRepo.groups(job);
  }
}
