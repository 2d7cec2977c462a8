/**
 * What `job.map()`, `job.status()`, `job.restart()`, ... do: the REST API and the CLI call this.
 * It validates input before anything is written, stores through NbgridStore and queues through
 * an ITaskPublisher (the Celery producer).
 */
import { randomUUID } from 'node:crypto';
import { InvalidInputError, NotFoundError } from '../domain/errors';
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
import {
  DEFAULT_QUEUE,
  type INotebookInfo,
  type IRunNotebookKwargs,
  type IStatusRow,
  type ITask,
  type ITaskGroup,
  type JsonValue
} from '../domain/types';
import { validateNotebook } from '../notebooks/validate-notebook';
import {
  RESULTS_PREFIX,
  TASKS_PREFIX,
  newTaskGroup,
  parseTaskName,
  taskNotebookPath,
  validateName
} from '../notebooks/task-names';
import type { ITaskGroupDoc } from '../storage/documents';
import { nextSeq } from '../storage/documents';
import { encodeJson, sha256 } from '../storage/json-bytes';
import type { NbgridStore } from '../storage/nbgrid-store';
import { notebookNotFound, prefixRegex } from '../storage/notebook-store';
import { ACTIVE_STATES } from '../domain/queue-states';
import { labelProblem } from '../domain/names';
import type { ITaskRestart, ITaskSummaryDoc } from '../storage/task-store';
import { statusRow, taskEvent } from './task-rows';

/** Most parameters one `map()` accepts. @defaultValue 100000 */
export const MAX_PARAMS = 100_000;

/** Largest JSON size of one parameter (a task document must stay far below 16 MB). @defaultValue 4 MB */
export const MAX_PARAM_BYTES = 4 * 1024 * 1024;

export interface IJobServiceDeps {
  store: NbgridStore;
  publisher: ITaskPublisher;
  /** Workers whose heartbeat is recent; used to warn when nobody serves a map's label. */
  liveWorkers: () => Promise<IWorkerInfo[]>;
  /** Called for every task state change this service makes. */
  emit: (e: ITaskEvent) => void;
  /** Where background problems are reported. */
  log?: (line: string) => void;
}

export class JobService implements IJobService {
  /** Background writes of maps' task documents still running. */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: IJobServiceDeps) {}

  private log(line: string): void {
    (this.deps.log ?? (() => undefined))(line);
  }

  /** Resolves when every map's task documents are written (for shutdown and tests). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private get store(): NbgridStore {
    return this.deps.store;
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
    return this.store.notebooks.put(name, nb);
  }

  async getNotebook(name: string): Promise<INotebookWithContent> {
    validateName(name);
    if (name.startsWith(RESULTS_PREFIX)) return this.store.notebooks.getResult(name);
    if (name.startsWith(TASKS_PREFIX)) {
      if (!parseTaskName(name)) throw new NotFoundError(`'${name}' is not a task notebook name (tasks/<notebook>/<group>-<i>.ipynb)`);
      const { notebook, task } = await this.store.renderTask(name);
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
    return this.store.notebooks.get(name);
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
      out.push(...(await this.store.notebooks.list(prefix)));
    }
    if (TASKS_PREFIX.startsWith(prefix) || prefix.startsWith(TASKS_PREFIX)) {
      const docs = await this.store.tasks.listNames(prefixRegex(prefix.replace(/\.ipynb$/, '')));
      const sizes = await this.store.blobs.sizes([...new Set(docs.map((d) => d.main_sha256))]);
      for (const d of docs) {
        const name = taskNotebookPath(d._id);
        if (!name.startsWith(prefix)) continue;
        out.push({ name, sha256: d.main_sha256, size: sizes.get(d.main_sha256) ?? 0, created: d.created, modified: d.updated });
      }
    }
    if (RESULTS_PREFIX.startsWith(prefix) || prefix.startsWith(RESULTS_PREFIX)) {
      out.push(...(await this.store.notebooks.listResults(prefix)));
    }
    return out;
  }

  async deleteNotebook(name: string): Promise<void> {
    validateName(name);
    if (name.startsWith(RESULTS_PREFIX)) return this.store.notebooks.deleteResult(name);
    if (name.startsWith(TASKS_PREFIX)) {
      throw new InvalidInputError(`task notebooks are rendered from their main notebook and cannot be deleted ('${name}')`);
    }
    return this.store.notebooks.delete(name);
  }

  // ---- jobs ------------------------------------------------------------------------------

  async map(job: string, options: IMapOptions): Promise<IMapResult> {
    validateName(job, 'job name');
    const { params } = options ?? ({} as IMapOptions);
    if (!Array.isArray(params)) throw new InvalidInputError('params must be a list of JSON values');
    if (params.length > MAX_PARAMS) {
      throw new InvalidInputError(`params has ${params.length} values; one map accepts at most ${MAX_PARAMS}: split it into several maps`);
    }
    const require = options.require ?? DEFAULT_QUEUE;
    const labelError = labelProblem(require, 'require');
    if (labelError !== null) throw new InvalidInputError(labelError);
    const cellTimeout = options.cell_timeout ?? null;
    if (cellTimeout !== null && (typeof cellTimeout !== 'number' || !Number.isFinite(cellTimeout) || cellTimeout <= 0)) {
      throw new InvalidInputError('cell_timeout must be a positive number of seconds, or absent for no timeout');
    }
    // Serialize (and so check) every parameter before anything is written.
    const paramBytes = params.map((p, i) => {
      const bytes = encodeJson(p, `params[${i}]`);
      if (bytes.byteLength > MAX_PARAM_BYTES) {
        throw new InvalidInputError(
          `params[${i}] is ${bytes.byteLength} bytes of JSON; one parameter may be at most ${MAX_PARAM_BYTES}: store large data elsewhere and pass its name`
        );
      }
      return bytes;
    });
    const main = await this.store.notebooks.find(job);
    if (!main) throw notebookNotFound(job);
    if (main.language !== 'python') {
      throw new InvalidInputError(`cannot map notebook '${job}': its kernel '${main.kernel}' (language ${main.language}) is not supported; only Python kernels are`);
    }

    const now = new Date().toISOString();
    const seq = nextSeq();
    let groupId = newTaskGroup();
    while (await this.store.tasks.groupIdTaken(groupId)) groupId = newTaskGroup();
    const group: ITaskGroupDoc = {
      _id: groupId,
      job,
      count: params.length,
      require,
      cell_timeout: cellTimeout,
      main_sha256: main.sha256,
      created: now,
      seq
    };
    // One group document holding every parameter: the map is stored, whatever its size, before
    // anything is queued. The task documents are written after the messages, in the background.
    const docs = await this.store.tasks.createMap(group, paramBytes);
    try {
      await this.publish(docs.map((d) => ({ name: d._id, task_id: d.task_id, attempt: 1, task_group: group._id, queue: require })));
    } catch (err) {
      // Nothing was queued (or not all of it): take the map back so a rejected map changes nothing.
      await this.store.tasks.deleteGroup(group._id).catch(() => undefined);
      throw err;
    }
    const settled = this.store.tasks.materialize(group, docs).catch((err: unknown) => {
      // Not lost: whoever next reads the group's tasks creates them (TaskStore.ensureMaterialized).
      this.log(`task documents of group ${group._id} not written yet (${err instanceof Error ? err.message : String(err)}); they will be on first read`);
    });
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
    for (const d of docs) this.deps.emit(taskEvent({ ...d, name: d._id }));
    return {
      task_group: group._id,
      job,
      count: docs.length,
      require,
      tasks: docs.map((d) => ({ name: d._id, task_id: d.task_id })),
      warnings: await this.labelWarnings(require)
    };
  }

  private async publish(items: { name: string; task_id: string; attempt: number; task_group: string; queue: string }[]): Promise<void> {
    if (items.length === 0) return;
    await this.deps.publisher.publishMany(
      items.map((t) => {
        const kwargs: IRunNotebookKwargs = { task_name: t.name, task_group: t.task_group, attempt: t.attempt };
        return { taskId: t.task_id, queue: t.queue, kwargs: { ...kwargs } as Record<string, JsonValue> };
      })
    );
  }

  private async labelWarnings(label: string): Promise<string[]> {
    let workers: IWorkerInfo[];
    try {
      workers = await this.deps.liveWorkers();
    } catch (err) {
      return [`could not list live workers (${err instanceof Error ? err.message : String(err)}); tasks are queued anyway`];
    }
    if (workers.some((w) => w.labels.includes(label))) return [];
    return [
      `no live worker serves label '${label}'; the tasks stay queued until one starts (nbgrid worker --label ${label})`
    ];
  }

  /** The group `taskGroup` of `job`, or its latest group. @throws NotFoundError */
  private async group(job: string, taskGroup?: string): Promise<ITaskGroupDoc> {
    validateName(job, 'job name');
    if (taskGroup === undefined || taskGroup === '') {
      const latest = await this.store.tasks.latestGroup(job);
      if (!latest) throw new NotFoundError(`job '${job}' has no task groups yet; start one with map()`);
      return latest;
    }
    if (typeof taskGroup !== 'string' || !/^[0-9a-f]{8}$/.test(taskGroup)) {
      throw new InvalidInputError(`task_group must be 8 hex digits (as returned by map()), got ${JSON.stringify(taskGroup)}`);
    }
    const g = await this.store.tasks.findGroup(job, taskGroup);
    if (!g) throw new NotFoundError(`job '${job}' has no task group '${taskGroup}'; list them with groups()`);
    return g;
  }

  async status(job: string, taskGroup?: string): Promise<IStatusRow[]> {
    if (taskGroup === '*') {
      validateName(job, 'job name');
      return (await this.store.tasks.summaries(job, '*')).map(statusRow);
    }
    const g = await this.group(job, taskGroup);
    return this.store.tasks.statusRows(job, g._id);
  }

  /** `status()` as the JSON text of the rows array (what the REST API sends, unparsed). */
  async statusJson(job: string, taskGroup?: string): Promise<string> {
    if (taskGroup === '*') return JSON.stringify(await this.status(job, taskGroup));
    const g = await this.group(job, taskGroup);
    return this.store.tasks.statusJson(job, g._id);
  }

  async tasks(job: string, taskGroup?: string): Promise<ITask[]> {
    if (taskGroup === '*') {
      validateName(job, 'job name');
      return this.store.tasks.list(job, '*');
    }
    const g = await this.group(job, taskGroup);
    return this.store.tasks.list(job, g._id);
  }

  async restart(job: string, options: IRestartOptions = {}): Promise<IRestartResult> {
    const g = await this.group(job, options.task_group);
    let mainSha: string | undefined;
    if (options.refresh) {
      const main = await this.store.notebooks.find(job);
      if (!main) throw notebookNotFound(job);
      mainSha = main.sha256;
    }
    const docs = await this.store.tasks.summaries(job, g._id);
    const chosen = options.reset ? docs : docs.filter((d) => d.run_status !== 'OK');
    const restarts: (ITaskRestart & { prev: ITaskSummaryDoc })[] = chosen.map((d) => ({
      name: d._id,
      task_id: randomUUID(),
      attempt: (d.attempt ?? 1) + 1,
      task_group: g._id,
      main_sha256: mainSha,
      prev: d
    }));
    // Queued or running copies of the old attempts would only duplicate work.
    const stale = restarts.filter((r) => ACTIVE_STATES.includes(r.prev.state)).map((r) => r.prev.task_id);
    if (stale.length > 0) await this.deps.publisher.revoke(stale, { terminate: true });
    await this.store.tasks.restartTasks(restarts);
    await this.publish(restarts.map((r) => ({ name: r.name, task_id: r.task_id, attempt: r.attempt, task_group: g._id, queue: r.prev.require })));
    for (const r of restarts) {
      this.deps.emit(
        taskEvent({ ...r.prev, name: r.name, task_id: r.task_id, state: 'PENDING', run_status: 'unknown', worker: null, job_runs: [] })
      );
    }
    return { task_group: g._id, restarted: restarts.map((r) => ({ name: r.name, task_id: r.task_id })) };
  }

  async cancel(job: string, options: { task_group?: string } = {}): Promise<ICancelResult> {
    const g = await this.group(job, options.task_group);
    const docs = (await this.store.tasks.summaries(job, g._id)).filter((d) => ACTIVE_STATES.includes(d.state));
    // REVOKED is stored before running tasks are interrupted: an interrupted task records its
    // run as soon as it stops, and must find its task revoked rather than still active.
    const revoked = await this.store.tasks.revokeGroup(job, g._id);
    if (docs.length > 0) await this.deps.publisher.revoke(docs.map((d) => d.task_id), { terminate: true });
    for (const d of docs) this.deps.emit(taskEvent({ ...d, name: d._id, state: 'REVOKED' }));
    return { task_group: g._id, revoked };
  }

  async results(job: string, taskGroup?: string): Promise<IResults> {
    const g = await this.group(job, taskGroup);
    const tasks = await this.store.tasks.list(job, g._id);
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
    return { task_group: g._id, results, missing };
  }

  async groups(job: string): Promise<ITaskGroup[]> {
    validateName(job, 'job name');
    const [groups, counts] = await Promise.all([this.store.tasks.listGroups(job), this.store.tasks.stateCounts(job)]);
    return groups.map((g) => ({
      task_group: g._id,
      job: g.job,
      count: g.count,
      require: g.require,
      created: g.created,
      states: counts.get(g._id) ?? {}
    }));
  }
}
