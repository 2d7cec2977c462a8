/**
 * An in-memory IJobService for the API tests: it stores what it is given and answers from that,
 * so a test can check both the answers and that rejected requests left the state unchanged.
 */
import { createHash } from 'node:crypto';
import { NotFoundError } from '../../../../worker/src/domain/errors';
import type {
  ICancelOptions,
  ICancelResult,
  IJobService,
  IMapOptions,
  IMapResult,
  INotebookWithContent,
  IRestartOptions,
  IRestartResult,
  IResults
} from '../../../../worker/src/domain/ports';
import type { INotebookInfo, IStatusRow, ITask, ITaskGroup } from '../../../../worker/src/domain/types';

interface IStoredNotebook {
  info: INotebookInfo;
  json: string;
}

export class FakeJobService implements IJobService {
  readonly notebooks = new Map<string, IStoredNotebook>();
  readonly tasksByGroup = new Map<string, ITask[]>();
  readonly calls: { method: string; args: unknown[] }[] = [];
  private groupCounter = 0;
  private clock = Date.parse('2026-01-01T00:00:00Z');

  private now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  /** A stable picture of everything stored, to compare before and after a request. */
  snapshot(): string {
    return JSON.stringify({
      notebooks: [...this.notebooks.entries()],
      tasks: [...this.tasksByGroup.entries()]
    });
  }

  async putNotebook(name: string, content: unknown): Promise<INotebookInfo> {
    this.calls.push({ method: 'putNotebook', args: [name, content] });
    const json = JSON.stringify(content);
    const previous = this.notebooks.get(name);
    const now = this.now();
    const info: INotebookInfo = {
      name,
      sha256: createHash('sha256').update(json).digest('hex'),
      size: Buffer.byteLength(json),
      created: previous?.info.created ?? now,
      modified: now
    };
    this.notebooks.set(name, { info, json });
    return info;
  }

  async getNotebook(name: string): Promise<INotebookWithContent> {
    const stored = this.notebooks.get(name);
    if (!stored) {
      throw new NotFoundError(`notebook '${name}' does not exist: store it first with PUT /api/notebooks/${name}`);
    }
    return { ...stored.info, content: JSON.parse(stored.json) as unknown };
  }

  async listNotebooks(prefix: string): Promise<INotebookInfo[]> {
    return [...this.notebooks.values()].map((n) => n.info).filter((info) => info.name.startsWith(prefix));
  }

  async deleteNotebook(name: string): Promise<void> {
    if (!this.notebooks.delete(name)) {
      throw new NotFoundError(`notebook '${name}' does not exist`);
    }
  }

  async map(job: string, options: IMapOptions): Promise<IMapResult> {
    this.calls.push({ method: 'map', args: [job, options] });
    const main = this.notebooks.get(job);
    if (!main) {
      throw new NotFoundError(`notebook '${job}' does not exist: store it first with PUT /api/notebooks/${job}`);
    }
    const taskGroup = (++this.groupCounter).toString(16).padStart(8, '0');
    const require = options.require ?? 'default';
    const now = this.now();
    const tasks: ITask[] = options.params.map((param, i) => ({
      name: `tasks/${job}/${taskGroup}-${i}`,
      job,
      task_group: taskGroup,
      job_id: i,
      param,
      main_sha256: main.info.sha256,
      task_id: `${taskGroup}-task-${i}`,
      state: 'PENDING',
      run_status: 'unknown',
      require,
      cell_timeout: options.cell_timeout ?? null,
      job_runs: [],
      worker: null,
      runs_total: 0,
      created: now,
      updated: now
    }));
    this.tasksByGroup.set(taskGroup, tasks);
    return {
      task_group: taskGroup,
      job,
      count: tasks.length,
      require,
      tasks: tasks.map((t) => ({ name: t.name, task_id: t.task_id })),
      warnings: require === 'default' ? [] : [`no live worker serves the label '${require}'`]
    };
  }

  private groupTasks(job: string, taskGroup?: string): ITask[] {
    const groups = [...this.tasksByGroup.entries()].filter(([, tasks]) => tasks[0]?.job === job);
    if (groups.length === 0) {
      throw new NotFoundError(`job '${job}' has no task groups: map it first`);
    }
    if (taskGroup === '*') {
      return groups.flatMap(([, tasks]) => tasks);
    }
    const chosen = taskGroup === undefined ? groups[groups.length - 1] : groups.find(([g]) => g === taskGroup);
    if (!chosen) {
      throw new NotFoundError(`job '${job}' has no task group '${taskGroup}'`);
    }
    return chosen[1];
  }

  async status(job: string, taskGroup?: string): Promise<IStatusRow[]> {
    return this.groupTasks(job, taskGroup).map((t) => {
      const last = t.job_runs[t.job_runs.length - 1];
      return {
        name: t.name,
        task_id: t.task_id,
        status: t.state,
        run_status: t.run_status,
        task_group: t.task_group,
        job_id: t.job_id,
        duration: last?.duration ?? null,
        worker: t.worker ?? last?.worker ?? null,
        message: last?.message ?? '',
        results: last?.results ?? null
      };
    });
  }

  async tasks(job: string, taskGroup?: string): Promise<ITask[]> {
    return this.groupTasks(job, taskGroup);
  }

  async restart(job: string, options: IRestartOptions): Promise<IRestartResult> {
    this.calls.push({ method: 'restart', args: [job, options] });
    const tasks = this.groupTasks(job, options.task_group);
    const chosen = tasks.filter((t) => options.reset === true || t.run_status !== 'OK');
    for (const t of chosen) {
      t.task_id = `${t.task_id}-r`;
      t.state = 'PENDING';
    }
    return { task_group: tasks[0].task_group, restarted: chosen.map((t) => ({ name: t.name, task_id: t.task_id })) };
  }

  async cancel(job: string, options: ICancelOptions): Promise<ICancelResult> {
    this.calls.push({ method: 'cancel', args: [job, options] });
    const tasks = this.groupTasks(job, options.task_group);
    const queued = tasks.filter((t) => t.state === 'PENDING' || t.state === 'STARTED');
    for (const t of queued) {
      t.state = 'REVOKED';
    }
    return { task_group: tasks[0].task_group, revoked: queued.length };
  }

  async results(job: string, taskGroup?: string): Promise<IResults> {
    const tasks = this.groupTasks(job, taskGroup);
    return {
      task_group: tasks[0].task_group,
      results: tasks.map((t) => (t.run_status === 'OK' ? t.result ?? null : null)),
      missing: tasks.filter((t) => t.run_status !== 'OK').map((t) => t.job_id)
    };
  }

  async groups(job: string): Promise<ITaskGroup[]> {
    const groups = [...this.tasksByGroup.entries()].filter(([, tasks]) => tasks[0]?.job === job);
    return groups.reverse().map(([taskGroup, tasks]) => {
      const states: ITaskGroup['states'] = {};
      for (const t of tasks) {
        states[t.state] = (states[t.state] ?? 0) + 1;
      }
      return { task_group: taskGroup, job, count: tasks.length, require: tasks[0].require, created: tasks[0].created, states };
    });
  }

  /** Marks a task as run OK with a result, as a worker would. */
  completeTask(taskGroup: string, jobId: number, result: unknown): void {
    const task = this.tasksByGroup.get(taskGroup)?.[jobId];
    if (!task) {
      throw new Error(`no task ${taskGroup}/${jobId}`);
    }
    task.state = 'SUCCESS';
    task.run_status = 'OK';
    task.worker = 'nbgrid@test';
    task.result = result as ITask['result'];
    task.job_runs.push({
      status: 'OK',
      ts: this.now(),
      message: '',
      results: `results/${task.name}.ipynb_x.ipynb`,
      duration: 1.5,
      worker: 'nbgrid@test',
      attempt: 1,
      task_id: task.task_id
    });
  }
}
