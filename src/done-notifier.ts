/**
 * Tells the user when a map started from this JupyterLab finishes, whether or not its status panel
 * is open: one event stream per job with maps pending here (`event: group-done`, announced once by
 * the service), closed when the last of them finished. A JupyterLab `Notification` gives the OK and
 * ERROR counts and a button that opens the panel.
 *
 * The service decides a map's end exactly once but delivers the event at least once (a service that
 * dies mid-delivery leaves it to another), so a `(task_group, round)` already shown is ignored.
 */
import { Notification } from '@jupyterlab/apputils';
import type { IGroupDoneEvent } from '../worker/src/schemas/progress';
import type { IEventStream } from './status-model';

export interface IDoneNotifierOptions {
  /** URL of the event stream of a job. */
  eventsUrl(job: string): string;
  /** Opens the status panel on a group. */
  openStatus(job: string, taskGroup: string): void;
  /** @defaultValue `url => new EventSource(url)` */
  openEvents?: (url: string) => IEventStream;
  /** Shows the notification. @defaultValue JupyterLab's `Notification` */
  notify?: (message: string, options: { type: 'success' | 'warning'; open: () => void }) => void;
}

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** The notification text of a finished map. */
export function doneMessage(event: IGroupDoneEvent): string {
  const { OK, ERROR } = event.counts;
  return `nbgrid map of ${event.job} (${event.task_group}) finished in ${formatDuration(event.duration)}: ${OK} OK, ${ERROR} ERROR`;
}

/** Most `(task_group, round)` pairs remembered as shown (oldest forgotten first). */
const MAX_SHOWN = 1000;

export class DoneNotifier {
  private readonly _streams = new Map<string, { stream: IEventStream; groups: Set<string> }>();
  /** `<task_group>:<round>` of the announcements shown, oldest first. */
  private readonly _shown = new Set<string>();

  constructor(private readonly _options: IDoneNotifierOptions) {}

  /** A map started here: announce its end. */
  watch(job: string, taskGroup: string): void {
    let entry = this._streams.get(job);
    if (!entry) {
      const stream = (this._options.openEvents ?? (url => new EventSource(url) as unknown as IEventStream))(this._options.eventsUrl(job));
      entry = { stream, groups: new Set() };
      this._streams.set(job, entry);
      stream.addEventListener('group-done', (message: MessageEvent) => {
        try {
          this.done(JSON.parse(message.data) as IGroupDoneEvent);
        } catch {
          // not an announcement we can read
        }
      });
    }
    entry.groups.add(taskGroup);
  }

  /** Groups still awaited, per job (for tests and diagnostics). */
  pending(job: string): string[] {
    return [...(this._streams.get(job)?.groups ?? [])];
  }

  dispose(): void {
    for (const { stream } of this._streams.values()) {
      stream.close();
    }
    this._streams.clear();
  }

  /** Whether the announcement of this `(task_group, round)` was shown here. */
  shown(taskGroup: string, round: string): boolean {
    return this._shown.has(`${taskGroup}:${round}`);
  }

  private done(event: IGroupDoneEvent): void {
    const key = `${event.task_group}:${event.round}`;
    const entry = this._streams.get(event.job);
    if (this._shown.has(key) || !entry || !entry.groups.delete(event.task_group)) {
      return;
    }
    this.show(event);
    if (entry.groups.size === 0) {
      entry.stream.close();
      this._streams.delete(event.job);
    }
  }

  /**
   * Shows the notification of `event` unless its `(task_group, round)` was shown here already
   * (the same map may reach this JupyterLab by the Map button's stream and by its origin's, see
   * `origin-notifier.ts`). Returns whether it was shown now.
   */
  show(event: IGroupDoneEvent): boolean {
    const key = `${event.task_group}:${event.round}`;
    if (this._shown.has(key)) {
      return false;
    }
    this._shown.add(key);
    if (this._shown.size > MAX_SHOWN) {
      this._shown.delete(this._shown.values().next().value as string);
    }
    const open = () => this._options.openStatus(event.job, event.task_group);
    const type = event.counts.ERROR > 0 ? 'warning' : 'success';
    const notify =
      this._options.notify ??
      ((message: string, options: { type: 'success' | 'warning'; open: () => void }) =>
        Notification.emit(message, options.type, { autoClose: false, actions: [{ label: 'Show status', callback: options.open }] }));
    notify(doneMessage(event), { type, open });
    return true;
  }
}

/** The notifier of this JupyterLab, set by the done-notifier plugin; maps started before it queue up. */
let current: DoneNotifier | null = null;
const early: [string, string][] = [];

export function setDoneNotifier(notifier: DoneNotifier): void {
  current = notifier;
  for (const [job, group] of early.splice(0)) {
    notifier.watch(job, group);
  }
}

/** Announce the end of a map started from this JupyterLab. */
export function watchMap(job: string, taskGroup: string): void {
  if (current) {
    current.watch(job, taskGroup);
  } else {
    early.push([job, taskGroup]);
  }
}
