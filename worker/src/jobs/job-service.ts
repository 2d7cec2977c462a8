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
  IWorkerInfo,
  IJobParameters
} from '../domain/ports';
import { statusRow } from '../domain/status-row';
import type { IStorage } from '../domain/storage';
import { taskEvent } from '../domain/task-event';
import type { ITaskRepository } from '../domain/task-repository';
import type { INotebookInfo, IStatusRow, ITask, ITaskGroup, JsonValue } from '../domain/types';
import { validateNotebook } from '../notebooks/validate-notebook';
import { RESULTS_PREFIX, TASKS_PREFIX, parseTaskName, taskNotebookPath, validateName } from '../notebooks/task-names';
import { checkMapOptions, MAX_PARAM_BYTES } from './map-options';
import { checkPapermillParameter } from '../notebooks/papermill-variables';
import { cancelGroup, restartGroup, type IGroupControlDeps } from './restart-and-cancel';
import { cancelSelected, restartSelected, restartWithoutResults, selectTasks, type ITaskSelection } from './restart-selected';
import { labelWarnings, publishTasks } from './task-queueing';
import { readNotebookParameters, unknownParameterWarnings } from '../notebooks/parameters-reader';
import { buildResultsTable, sourceOfTask, tableSourcesFromReadModel, type IResultSource, type IResultsTableRows } from './results-table';
import { ResultsTableCache } from './results-table-cache';
import type { IReduceStore } from '../domain/reduce';
import type { ICacheEntry, ITaskCache } from '../domain/task-cache';
import { lookupMap } from '../cache/cache-map';
import { hitsStillCached, StaleCacheHitsError } from '../cache/stale-hits';
import { ReduceTrigger } from '../reduce/reduce-trigger';
import { checkThen, plusCancelled, plusRestarted, reducedJson, reduceRow, reduceToCancel, reduceToRestart, withReduceRowJson } from '../reduce/reduce-jobs';

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
  /** Maps' reduce steps (`then`); without it a map with `then` is refused. */
  reduce?: IReduceStore;
  /** The cache of OK runs; without it `cache: true` runs every task. */
  cache?: ITaskCache;
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
  /** Results tables built lately, by group (see results-table-cache.ts). */
  private readonly tables = new ResultsTableCache();

  /** Queues the reduce of a group whose tasks were all cached. */
  private readonly reduceTrigger: ReduceTrigger | undefined;

  constructor(private readonly deps: IJobServiceDeps) {
    this.notebooks = deps.store.notebooks;
    this.tasksRepo = deps.store.tasks;
    this.reduceTrigger = deps.reduce
      ? new ReduceTrigger({ reduce: deps.reduce, tasks: this.tasksRepo, notebooks: this.notebooks, publisher: deps.publisher, emit: deps.emit, log: deps.log })
      : undefined;
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
    // A parameter object's identifier keys become papermill-style variables: each must be writable exactly.
    paramBytes.forEach((b, i) => checkPapermillParameter(b.toString('utf8'), `params[${i}]`));
    const main = await this.notebooks.describe(job);
    if (main.language !== 'python') {
      throw new InvalidInputError(`cannot map notebook '${job}': its kernel '${main.kernel}' (language ${main.language}) is not supported; only Python kernels are`);
    }
    const then = await checkThen(this.notebooks, options.then, { job, require, cell_timeout: cellTimeout });
    if (then && !this.deps.reduce) throw new InvalidInputError('then: this service has no reduce step configured');
    // Refused before anything is stored while the queue is down (503 naming Redis, at once).
    await this.deps.publisher.ensureReachable?.();
    // cache: the tasks whose input key has an OK run in the job, found with one query
    const cache = options.cache === true && options.force !== true ? this.deps.cache : undefined;
    const hits = cache
      ? (await lookupMap(cache, job, { sha256: main.sha256, content: () => this.notebooks.get(job) }, paramBytes)).hits
      : new Map<number, ICacheEntry>();
    // One group document holding every parameter: the map is stored, whatever its size, before
    // anything is queued. The task documents are written after the messages, in the background.
    const cachedTasks = [...hits].map(([i, entry]) => ({ job_id: i, entry, param: paramBytes[i] }));
    const stored = await this.tasksRepo.createMap({ job, require, cell_timeout: cellTimeout, main_sha256: main.sha256, params: paramBytes, ...(cachedTasks.length ? { cached: cachedTasks } : {}) });
    const group = stored.task_group;
    // Stored as SUCCESS / OK with the group (see storage/cached-tasks.ts): never queued.
    const cached = stored.tasks.filter((t) => hits.has(t.job_id));
    try {
      // A clean-up deleted a hit's run since the lookup (see cache/stale-hits.ts): taken back below, stored again.
      if (cache && !(await hitsStillCached(cache, job, hits))) throw new StaleCacheHitsError(job);
      // Stored before any task is queued: a worker finishing the last task finds it.
      if (then && this.deps.reduce) await this.deps.reduce.putSpec({ ...then, task_group: group });
      await publishTasks(
        this.deps.publisher,
        stored.tasks.filter((t) => !hits.has(t.job_id)).map((t) => ({ name: t.name, task_id: t.task_id, attempt: 1, task_group: group, queue: require }))
      );
    } catch (err) {
      // Nothing was queued (or not all of it): take the map back so a rejected map changes nothing.
      await this.tasksRepo.deleteGroup(group).catch(() => undefined);
      if (err instanceof StaleCacheHitsError) return this.map(job, options, exactParams);
      throw err;
    }
    const settled = this.tasksRepo.materialize(group).catch((err: unknown) => {
      // Not lost: whoever next reads the group's tasks creates them (see storage/task-groups.ts).
      this.log(`task documents of group ${group} not written yet (${err instanceof Error ? err.message : String(err)}); they will be on first read`);
    });
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
    for (const t of stored.tasks) if (!hits.has(t.job_id)) this.deps.emit(taskEvent(t));
    for (const t of cached) this.deps.emit(taskEvent(t));
    // Every task cached: no worker will finish one, so the reduce is triggered here.
    if (then && cached.length === stored.tasks.length) await this.reduceTrigger?.onTaskFinal(group);
    return {
      task_group: group,
      job,
      count: stored.tasks.length,
      require,
      tasks: stored.tasks.map((t) => ({ name: t.name, task_id: t.task_id })),
      warnings: [...(await labelWarnings(this.deps.liveWorkers, require)), ...(await this.parameterWarnings(job, options.params))],
      ...(options.cache === true ? { cached: cached.length } : {})
    };
  }

  /** papermill's "Passed unknown parameter" for names the notebook's `parameters` cell lacks. */
  private async parameterWarnings(job: string, params: readonly unknown[]): Promise<string[]> {
    if (!params.some((p) => typeof p === 'object' && p !== null && !Array.isArray(p))) return [];
    try {
      return unknownParameterWarnings(job, readNotebookParameters((await this.notebooks.get(job)).content), params);
    } catch (err) {
      this.log(`parameters of '${job}' not read for the map's warnings (${err instanceof Error ? err.message : String(err)})`);
      return [];
    }
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
    const g = await this.group(job, taskGroup);
    const rows = await this.tasksRepo.statusRows(job, g);
    const reduce = this.deps.reduce ? await reduceRow(this.deps.reduce, this.tasksRepo, g) : null;
    return reduce ? [...rows, reduce] : rows;
  }

  /** `status()` as the JSON text of the rows array (what the REST API sends, unparsed). */
  async statusJson(job: string, taskGroup?: string): Promise<string> {
    if (taskGroup === '*') return JSON.stringify(await this.status(job, taskGroup));
    const g = await this.group(job, taskGroup);
    const json = await this.tasksRepo.statusJson(job, g);
    return this.deps.reduce ? withReduceRowJson(json, this.deps.reduce, this.tasksRepo, g) : json;
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
    if (options.tasks) return restartSelected(this.control, job, await this.selection(job, options.tasks, options.task_group), options);
    const g = await this.group(job, options.task_group);
    const reduce = this.deps.reduce;
    // reset: the running reduce of the old round is outdated (the new round will reduce again)
    const stale = reduce && options.reset ? await reduceToCancel(reduce, this.tasksRepo, g) : null;
    if (stale) await cancelGroup(this.control, stale.notebook, stale.reduce_group as string);
    // Without reset: failed tasks, and OK tasks whose result notebook was deleted (omega|ml's restart).
    const result = options.reset ? await restartGroup(this.control, job, g, options) : await restartWithoutResults(this.control, job, g, options);
    // No task restarted (all OK) but the reduce failed: run the reduce of this round again.
    const failed = reduce && result.restarted.length === 0 ? await reduceToRestart(reduce, this.tasksRepo, g) : null;
    const again = failed ? await restartGroup(this.control, failed.notebook, failed.reduce_group as string, {}) : null;
    return plusRestarted(result, again);
  }

  async cancel(job: string, options: { task_group?: string; tasks?: string[] } = {}): Promise<ICancelResult> {
    if (options.tasks) return cancelSelected(this.control, job, await this.selection(job, options.tasks, options.task_group));
    const g = await this.group(job, options.task_group);
    const result = await cancelGroup(this.control, job, g);
    const reduce = this.deps.reduce ? await reduceToCancel(this.deps.reduce, this.tasksRepo, g) : null;
    return plusCancelled(result, reduce ? await cancelGroup(this.control, reduce.notebook, reduce.reduce_group as string) : null);
  }

  /** The named tasks (`tasks` of restart and cancel) of one group. */
  private selection(job: string, tasks: string[], taskGroup?: string): Promise<ITaskSelection> {
    validateName(job, 'job name');
    return selectTasks(job, tasks, taskGroup, (g) => this.group(job, g));
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
    // `reduced` only for a map with a reduce step (`then`): plain maps answer as before.
    const hasReduce = this.deps.reduce ? (await this.deps.reduce.spec(g)) !== null : false;
    const reduced = hasReduce ? await reducedJson(this.deps.reduce!, this.tasksRepo, g) : null;
    return { task_group: g, results, missing, ...(hasReduce ? { reduced: reduced ? (JSON.parse(reduced.text) as JsonValue) : null } : {}) };
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
    const hasReduce = this.deps.reduce ? (await this.deps.reduce.spec(g)) !== null : false;
    const reduced = hasReduce ? await reducedJson(this.deps.reduce!, this.tasksRepo, g) : undefined;
    return responseJson({ task_group: g, results, missing, ...(reduced !== undefined ? { reduced } : {}) });
  }

  async groups(job: string): Promise<ITaskGroup[]> {
    validateName(job, 'job name');
    return this.tasksRepo.groups(job);
  }

  async parameters(job: string): Promise<IJobParameters> {
    validateName(job, 'job name');
    return { job, ...readNotebookParameters((await this.notebooks.get(job)).content) };
  }

  /**
   * The tasks of a table: their values without the run history (the lighter group read), each
   * with its row of `statusJson`; the full tasks where the repository cannot, or a row is missing.
   */
  private async resultSources(job: string, g: string, statusJson: string): Promise<IResultSource[]> {
    const read = await tableSourcesFromReadModel(this.tasksRepo, job, g, statusJson);
    if (read) return read;
    if (this.tasksRepo.listValues) {
      const rows = new Map((JSON.parse(statusJson) as IStatusRow[]).map((r) => [r.job_id, r]));
      const values = await this.tasksRepo.listValues(job, g);
      if (values.every((v) => rows.has(v.job_id))) return values.map((v) => ({ values: v, row: rows.get(v.job_id) as IStatusRow }));
    }
    return (await this.tasksRepo.listExact(job, g)).map(sourceOfTask);
  }

  async resultsTable(job: string, taskGroup?: string): Promise<IResultsTableRows> {
    const g = await this.group(job, taskGroup);
    // The status rows first (one Redis read): an unchanged group is answered without MongoDB.
    const statusJson = await this.tasksRepo.statusJson(job, g);
    const fingerprint = ResultsTableCache.fingerprint(statusJson);
    const cached = this.tables.get(g, fingerprint);
    if (cached) return cached;
    const table = buildResultsTable(g, await this.resultSources(job, g, statusJson));
    this.tables.set(g, fingerprint, table);
    return table;
  }
}
