/**
 * Announces the maps started by the kernels of this JupyterLab, panel open or not. The nbgrid server
 * extension gives this JupyterLab an id (`lab_origin` of `/nbgrid/config`) and passes it to its
 * kernels, whose Python client sends it as the map's `origin`; one event stream
 * (`/api/events?origin=<id>`) brings the `group-done` events of those maps, and each
 * `(task_group, round)` is shown once (`DoneNotifier.show`, shared with the Map button's maps).
 *
 * The id only routes notifications: it is not a credential, and nothing else depends on it.
 */
import { URLExt } from '@jupyterlab/coreutils';
import type { ServerConnection } from '@jupyterlab/services';
import type { IGroupDoneEvent } from '../worker/src/schemas/progress';
import type { IEventStream } from './status-model';

export interface IOriginNotifierOptions {
  /** This JupyterLab's id. */
  origin: string;
  /** URL of the event stream of `origin` (see {@link originEventsUrl}). */
  url: string;
  /** Shows a finished map (once per `(task_group, round)`). */
  show(event: IGroupDoneEvent): void;
  /** @defaultValue `url => new EventSource(url)` */
  openEvents?: (url: string) => IEventStream;
  /**
   * Milliseconds before a stream that failed for good (EventSource gives up on an HTTP error, e.g.
   * the service was down) is opened again. @defaultValue 10000
   */
  retryMs?: number;
}

/** `<base_url>/nbgrid/api/events?origin=<id>` with Jupyter's token (EventSource cannot send headers). */
export function originEventsUrl(settings: ServerConnection.ISettings, origin: string): string {
  const url = URLExt.join(settings.baseUrl, 'nbgrid', 'api', 'events') + `?origin=${encodeURIComponent(origin)}`;
  return settings.token ? `${url}&token=${encodeURIComponent(settings.token)}` : url;
}

/** EventSource's readyState once it gave up. */
const CLOSED = 2;

export class OriginNotifier {
  private _stream: IEventStream | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _disposed = false;

  constructor(private readonly _options: IOriginNotifierOptions) {}

  /** Opens the stream (again after a failure); idempotent. */
  start(): void {
    if (this._stream || this._disposed) {
      return;
    }
    const open = this._options.openEvents ?? (url => new EventSource(url) as unknown as IEventStream);
    const stream = open(this._options.url);
    this._stream = stream;
    stream.addEventListener('group-done', (message: MessageEvent) => {
      let event: IGroupDoneEvent;
      try {
        event = JSON.parse(message.data) as IGroupDoneEvent;
      } catch {
        return; // not an announcement we can read
      }
      if (event.origin === this._options.origin) {
        this._options.show(event);
      }
    });
    stream.onerror = () => {
      // A dropped connection is retried by EventSource itself; one it gave up on, by us.
      if ((stream as unknown as { readyState?: number }).readyState !== CLOSED || this._disposed) {
        return;
      }
      stream.close();
      this._stream = null;
      this._timer = setTimeout(() => {
        this._timer = null;
        this.start();
      }, this._options.retryMs ?? 10000);
    };
  }

  /** The open stream, if any (for tests). */
  get stream(): IEventStream | null {
    return this._stream;
  }

  dispose(): void {
    this._disposed = true;
    if (this._timer) {
      clearTimeout(this._timer);
    }
    this._stream?.close();
    this._stream = null;
  }
}
