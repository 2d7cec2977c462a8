import { ISignal, Signal } from '@lumino/signaling';
import { NbgridError } from './errors';
import type { INbgridClient } from './tokens';
import { estimateGroup, TaskProgressStore, type IGroupEstimate, type IProgressEvent } from './progress-store';
import { everyMember, QUEUE_STATES, type FinalState, type IStatusRow, type ITaskEvent, type ITaskGroup, type QueueState } from './types';
import { rowIndexOf, rowOrder } from './reduce-rows';

/** The part of `EventSource` the model uses, so tests can pass a fake. */
export interface IEventStream {
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
  onerror: ((event: Event) => void) | null;
  onopen: ((event: Event) => void) | null;
}

/** Counts of one task group by queue state, plus totals the progress bar needs. */
export interface IProgress {
  total: number;
  /** Tasks that will not change any more: SUCCESS, FAILURE, REVOKED. */
  done: number;
  counts: Record<QueueState, number>;
}

export namespace StatusModel {
  export interface IOptions {
    client: INbgridClient;
    /** The job (main notebook name) shown. */
    job: string;
    /** Group to expand first; the newest when absent. */
    taskGroup?: string;
    /** Opens the event stream. @defaultValue `url => new EventSource(url)` */
    openEvents?: (url: string) => IEventStream;
    /** Delay before refetching after events arrive, in ms. @defaultValue 400 */
    refreshDelay?: number;
  }
}

/** The contract's final states (worker/src/domain/queue-states.ts): a compile error if they change. */
const FINAL = everyMember<FinalState>()(['SUCCESS', 'FAILURE', 'REVOKED'] as const);

/** Live state of one job: its task groups and the rows of the expanded ones. */
export class StatusModel {
  constructor(options: StatusModel.IOptions) {
    this.client = options.client;
    this.job = options.job;
    this._openEvents = options.openEvents ?? (url => new EventSource(url) as unknown as IEventStream);
    this._refreshDelay = options.refreshDelay ?? 400;
    if (options.taskGroup) {
      this._expanded.add(options.taskGroup);
      this._focus = options.taskGroup;
    }
  }

  readonly client: INbgridClient;
  readonly job: string;

  /** Emitted whenever anything shown changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get groups(): ITaskGroup[] {
    return this._groups;
  }
  /** Rows of a group, in parameter order; undefined until loaded. */
  rows(taskGroup: string): IStatusRow[] | undefined {
    return this._rows.get(taskGroup);
  }
  isExpanded(taskGroup: string): boolean {
    return this._expanded.has(taskGroup);
  }
  /** Last error fetching status (service down...), cleared by the next successful fetch. */
  get error(): NbgridError | null {
    return this._error;
  }
  /** Whether the live event stream is connected. */
  get live(): boolean {
    return this._live;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Progress of a group: from its loaded rows when there are any, else from the group's counts. */
  progress(taskGroup: string): IProgress {
    const counts = Object.fromEntries(QUEUE_STATES.map(state => [state, 0])) as Record<QueueState, number>;
    const rows = this._rows.get(taskGroup);
    const group = this._groups.find(g => g.task_group === taskGroup);
    if (rows) {
      for (const row of rows) {
        counts[row.status] = (counts[row.status] ?? 0) + 1;
      }
    } else if (group) {
      for (const state of QUEUE_STATES) {
        counts[state] = group.states[state] ?? 0;
      }
    }
    const counted = QUEUE_STATES.reduce((sum, state) => sum + counts[state], 0);
    const total = Math.max(group?.count ?? 0, rows?.length ?? 0, counted);
    const done = FINAL.reduce((sum, state) => sum + counts[state], 0);
    return { total, done, counts };
  }

  /** Loads groups and rows and subscribes to the event stream. */
  async start(): Promise<void> {
    this.connect();
    await this.refresh();
  }

  /** Refetches groups and the rows of every expanded group. */
  async refresh(): Promise<void> {
    try {
      const groups = await this.client.groups(this.job);
      if (this._disposed) {
        return;
      }
      this._groups = groups;
      if (this._expanded.size === 0 && groups.length > 0) {
        this._expanded.add(groups[0].task_group);
      }
      await Promise.all([...this._expanded].map(group => this.loadRows(group)));
      this._error = null;
    } catch (error) {
      this._error = error instanceof NbgridError ? error : new NbgridError(String(error), 0, false);
    }
    this.emit();
  }

  /** Expands a group (a fresh map) and refetches, so it shows even before its first event. */
  async expand(taskGroup: string): Promise<void> {
    this._expanded.add(taskGroup);
    this._focus = taskGroup;
    await this.refresh();
  }

  async toggle(taskGroup: string): Promise<void> {
    if (this._expanded.has(taskGroup)) {
      this._expanded.delete(taskGroup);
      this.emit();
      return;
    }
    this._expanded.add(taskGroup);
    this.emit();
    await this.loadRows(taskGroup);
    this.emit();
  }

  /** Applies one `task` event at once; a debounced refetch then brings result links and counts. */
  applyEvent(event: ITaskEvent): void {
    if (event.job !== this.job) {
      return;
    }
    const rows = this._rows.get(event.task_group);
    if (event.status !== 'STARTED') {
      this.taskProgress.drop(event.name);
    }
    if (rows) {
      const index = rowIndexOf(rows, event);
      const update = {
        task_id: event.task_id,
        status: event.status,
        run_status: event.run_status,
        message: event.message,
        worker: event.worker,
        duration: event.duration
      };
      if (index >= 0) {
        rows[index] = { ...rows[index], ...update };
      } else {
        rows.push({ name: event.name, task_group: event.task_group, job_id: event.job_id, results: null, ...update, ...(event.reduce_round !== undefined ? { reduce_round: event.reduce_round } : {}) });
        rows.sort(rowOrder);
      }
      this._rows.set(event.task_group, [...rows]);
    }
    if (!this._groups.some(group => group.task_group === event.task_group)) {
      // A group mapped elsewhere (CLI, kernel): show it expanded like a fresh map here.
      this._expanded.add(event.task_group);
    }
    this.emit();
    this.scheduleRefresh();
  }

  /** Re-runs tasks without an OK run (`reset` re-runs all). */
  async restart(taskGroup: string, reset = false): Promise<number> {
    const result = await this.client.restart(this.job, { task_group: taskGroup, reset });
    await this.refresh();
    return result.restarted.length;
  }

  async cancel(taskGroup: string): Promise<number> {
    const result = await this.client.cancel(this.job, { task_group: taskGroup });
    await this.refresh();
    return result.revoked;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    clearTimeout(this._timer);
    clearTimeout(this._reconnectTimer);
    clearTimeout(this._progressTimer);
    this._events?.close();
    this._events = null;
    Signal.clearData(this);
  }

  private connect(): void {
    if (this._disposed) {
      return;
    }
    const events = this._openEvents(this.client.eventsUrl(this.job));
    this._events = events;
    events.onopen = () => {
      this._live = true;
      this.emit();
    };
    events.onerror = () => {
      // EventSource retries by itself after network errors, but not after an HTTP error answer
      // (service down: 503); reconnect ourselves then, and refetch what was missed meanwhile.
      this._live = false;
      this.emit();
      if ((events as unknown as { readyState?: number }).readyState === 2) {
        events.close();
        this._reconnectTimer = setTimeout(() => {
          this.connect();
          void this.refresh();
        }, 5000);
      }
    };
    events.addEventListener('progress', (message: MessageEvent) => {
      try {
        this.applyProgress(JSON.parse(message.data) as IProgressEvent);
      } catch {
        // a damaged update is skipped; the next one replaces it
      }
    });
    events.addEventListener('task', (message: MessageEvent) => {
      try {
        this.applyEvent(JSON.parse(message.data) as ITaskEvent);
      } catch {
        this.scheduleRefresh();
      }
    });
  }

  private async loadRows(taskGroup: string): Promise<void> {
    const rows = await this.client.status(this.job, taskGroup);
    if (!this._disposed) {
      this._rows.set(taskGroup, [...rows].sort(rowOrder));
    }
  }

  private scheduleRefresh(): void {
    clearTimeout(this._timer);
    this._timer = setTimeout(() => void this.refresh(), this._refreshDelay);
  }

  private emit(): void {
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  /** Live progress of running tasks (`event: progress`). */
  readonly taskProgress = new TaskProgressStore();

  /** The live progress of a row's run, while it runs. */
  progressOf(row: IStatusRow): IProgressEvent | undefined {
    return row.status === 'STARTED' ? this.taskProgress.get(row.name, row.task_id) : undefined;
  }

  /** Done / running / queued and the time left of a group whose rows are loaded. */
  estimate(taskGroup: string): IGroupEstimate | undefined {
    const rows = this._rows.get(taskGroup);
    return rows ? estimateGroup(rows) : undefined;
  }

  /** Keeps a progress update; the panel redraws at most four times a second for them. */
  applyProgress(event: IProgressEvent): void {
    if (event.job !== this.job || !this.taskProgress.apply(event)) {
      return;
    }
    if (this._progressTimer === undefined) {
      this._progressTimer = setTimeout(() => {
        this._progressTimer = undefined;
        this.emit();
      }, 250);
    }
  }

  /** Group focused on open: the UI scrolls it into view. */
  get focus(): string | undefined {
    return this._focus;
  }

  private _changed = new Signal<this, void>(this);
  private _groups: ITaskGroup[] = [];
  private _rows = new Map<string, IStatusRow[]>();
  private _expanded = new Set<string>();
  private _focus: string | undefined;
  private _error: NbgridError | null = null;
  private _events: IEventStream | null = null;
  private _live = false;
  private _disposed = false;
  private _timer: ReturnType<typeof setTimeout> | undefined;
  private _reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private _progressTimer: ReturnType<typeof setTimeout> | undefined;
  private _openEvents: (url: string) => IEventStream;
  private _refreshDelay: number;
}
