import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { hintOf, NbgridError } from './errors';
import type { INbgridClient } from './tokens';
import type {
  ICleanupBody,
  ICleanupReport,
  ICreateScheduleBody,
  ISchedule,
  ICancelOptions,
  ICancelResult,
  IMapResult,
  INbgridConfig,
  INotebookInfo,
  INotebookWithContent,
  IRestartOptions,
  IRestartResult,
  IStatusRow,
  ITaskGroup,
  IWorkerInfo,
  MapRequest,
  IParametersResponse,
  IResultsTable
} from './types';

/** Said whenever the service cannot be reached and the server gave no better message. */
export const START_HINT =
  'The nbgrid service is not running: start it with `make demo` or `nbgrid up` in a terminal, then try again.';

/** `/api/jobs/<name>/...` wants a name with `/` percent-encoded as one segment. */
function jobPath(job: string, action: string): string {
  return `jobs/${encodeURIComponent(job)}/${action}`;
}

/** `/api/notebooks/<name>` keeps `/` literal, like Jupyter's contents API. */
function notebookPath(name: string): string {
  return `notebooks/${name.split('/').map(encodeURIComponent).join('/')}`;
}

/** The nbgrid REST client over `ServerConnection.makeRequest` (Jupyter auth, XSRF and base URL). */
export class NbgridClient implements INbgridClient {
  /**
   * @param serverSettings - Jupyter server connection settings
   * @defaultValue `ServerConnection.makeSettings()`
   */
  constructor(readonly serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()) {}

  async config(): Promise<INbgridConfig> {
    return this.request<INbgridConfig>(URLExt.join(this.serverSettings.baseUrl, 'nbgrid', 'config'), {});
  }

  async workers(): Promise<IWorkerInfo[]> {
    return (await this.api<{ workers: IWorkerInfo[] }>('workers')).workers;
  }

  putNotebook(name: string, content: unknown): Promise<INotebookInfo> {
    return this.api<INotebookInfo>(notebookPath(name), { method: 'PUT', body: JSON.stringify({ content }) });
  }

  getNotebook(name: string): Promise<INotebookWithContent> {
    return this.api<INotebookWithContent>(notebookPath(name));
  }

  map(job: string, request: MapRequest): Promise<IMapResult> {
    return this.api<IMapResult>(jobPath(job, 'map'), { method: 'POST', body: JSON.stringify(request) });
  }

  async status(job: string, taskGroup?: string): Promise<IStatusRow[]> {
    const query = taskGroup ? `?task_group=${encodeURIComponent(taskGroup)}` : '';
    return (await this.api<{ rows: IStatusRow[] }>(jobPath(job, 'status') + query)).rows;
  }

  async groups(job: string): Promise<ITaskGroup[]> {
    return (await this.api<{ groups: ITaskGroup[] }>(jobPath(job, 'groups'))).groups;
  }

  restart(job: string, options: IRestartOptions): Promise<IRestartResult> {
    return this.api<IRestartResult>(jobPath(job, 'restart'), { method: 'POST', body: JSON.stringify(options) });
  }

  cancel(job: string, options: ICancelOptions): Promise<ICancelResult> {
    return this.api<ICancelResult>(jobPath(job, 'cancel'), { method: 'POST', body: JSON.stringify(options) });
  }

  parameters(job: string): Promise<IParametersResponse> {
    return this.api<IParametersResponse>(jobPath(job, 'parameters'));
  }

  resultsTable(job: string, taskGroup: string): Promise<IResultsTable> {
    return this.api<IResultsTable>(jobPath(job, 'results') + `?task_group=${encodeURIComponent(taskGroup)}&format=table`);
  }

  async resultsCsv(job: string, taskGroup: string): Promise<string> {
    const body = await this.api<unknown>(jobPath(job, 'results') + `?task_group=${encodeURIComponent(taskGroup)}&format=csv`);
    return typeof body === 'string' ? body : JSON.stringify(body);
  }

  eventsUrl(job: string): string {
    const url = URLExt.join(this.serverSettings.baseUrl, 'nbgrid', 'api', 'events') + `?job=${encodeURIComponent(job)}`;
    // EventSource cannot send headers: pass Jupyter's token the way Jupyter accepts it in URLs.
    const token = this.serverSettings.token;
    return token ? `${url}&token=${encodeURIComponent(token)}` : url;
  }

  partial(job: string, taskName: string): Promise<{ name: string; ts: string; content: unknown }> {
    return this.api(jobPath(job, `tasks/${encodeURIComponent(taskName)}/partial`));
  }

  async schedules(job?: string): Promise<ISchedule[]> {
    const query = job ? `?job=${encodeURIComponent(job)}` : '';
    return (await this.api<{ schedules: ISchedule[] }>('schedules' + query)).schedules;
  }

  createSchedule(body: ICreateScheduleBody): Promise<ISchedule> {
    return this.api<ISchedule>('schedules', { method: 'POST', body: JSON.stringify(body) });
  }

  cleanup(body: ICleanupBody): Promise<ICleanupReport> {
    return this.api<ICleanupReport>('gc', { method: 'POST', body: JSON.stringify(body) });
  }

  private api<T>(path: string, init: RequestInit = {}): Promise<T> {
    return this.request<T>(URLExt.join(this.serverSettings.baseUrl, 'nbgrid', 'api', path), init);
  }

  private async request<T>(url: string, init: RequestInit): Promise<T> {
    const headers = init.body ? { 'Content-Type': 'application/json' } : undefined;
    // Not `no-store`: for that makeRequest appends a cache-busting `?<number>`, which the service
    // rightly rejects as an unknown query field. Its answers carry no caching headers anyway.
    const request = { ...init, headers, cache: 'no-cache' as RequestCache };
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, request, this.serverSettings);
    } catch (error) {
      // A NetworkError: the Jupyter server itself is gone.
      throw new NbgridError(`Cannot reach the Jupyter server: ${(error as Error).message}`, 0, true);
    }
    const text = await response.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!response.ok) {
      throw errorFromResponse(response.status, body);
    }
    return body as T;
  }
}

/** Maps an error answer to an `NbgridError` whose message a person can act on. */
export function errorFromResponse(status: number, body: unknown): NbgridError {
  const message =
    body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string'
      ? (body as { message: string }).message
      : typeof body === 'string' && body.trim() && !body.trimStart().startsWith('<')
        ? body.trim()
        : '';
  if (status === 404 && !message) {
    return new NbgridError(
      'The nbgrid server extension is not enabled in this Jupyter server: install nbgrid in the Jupyter environment and run `jupyter server extension enable nbgrid.server`, then restart Jupyter.',
      status,
      true
    );
  }
  if (status === 503 || status === 502 || status === 504) {
    // A 503 of the service or of the server extension says what is down in `hint`.
    const hint = hintOf(body);
    return new NbgridError(message || hint?.fix || START_HINT, status, true, hint);
  }
  if (status === 403 || status === 401) {
    return new NbgridError(message || 'Jupyter refused the request: log in to JupyterLab again.', status, false);
  }
  return new NbgridError(message || `The nbgrid service answered ${status}.`, status, false);
}
