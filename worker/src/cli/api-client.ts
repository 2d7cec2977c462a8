import type { IMapResult, IRestartResult, ICancelResult, IResults, IWorkerInfo } from '../domain/ports';
import type { INotebookInfo, IStatusRow, ITaskGroup } from '../domain/types';
import type { IErrorBody } from '../schemas';
import { discoverService, type IServiceEndpoint } from '../stack/service-discovery';
import { ServiceNotConfiguredError } from '../stack/service-not-configured-error';

/** Where the CLI finds the service: the rule of `stack/service-discovery.ts`, shared with the Python client. */
export function resolveEndpoint(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): IServiceEndpoint {
  try {
    return discoverService(env, cwd);
  } catch (err) {
    if (err instanceof ServiceNotConfiguredError) throw new CliError(err.message);
    throw err;
  }
}

/** The message of an error answer, followed by its hint's fix when the message does not already say it. */
export function errorAnswerMessage(text: string): string {
  let body: Partial<IErrorBody>;
  try {
    body = JSON.parse(text) as Partial<IErrorBody>;
  } catch {
    return text;
  }
  const message = typeof body?.message === 'string' ? body.message : text;
  const fix = body?.hint?.fix;
  return fix && !message.includes(fix) ? `${message} (${fix})` : message;
}

/** An error the CLI prints as one line, without a stack trace. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

const job = (name: string): string => `/api/jobs/${encodeURIComponent(name)}`;
const q = (taskGroup?: string): string => (taskGroup ? `?task_group=${encodeURIComponent(taskGroup)}` : '');

/** The REST API (docs/api.md) as typed calls, for the CLI. */
export class ApiClient {
  /** @param token - sent as `Authorization: token <t>`; `null` sends no Authorization header */
  constructor(readonly url: string, private readonly token: string | null) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): ApiClient {
    const { url, token } = resolveEndpoint(env);
    return new ApiClient(url, token);
  }

  async request<T>(method: string, route: string, body?: unknown): Promise<T> {
    const text = await this.requestText(method, route, body);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** `request` answering the body's text (a CSV, or JSON to be read as text). */
  async requestText(method: string, route: string, body?: unknown): Promise<string> {
    let res: Response;
    try {
      res = await fetch(this.url + route, {
        method,
        headers: {
          ...(this.token === null ? {} : { Authorization: `token ${this.token}` }),
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' })
        },
        body: body === undefined ? undefined : JSON.stringify(body)
      });
    } catch (err) {
      throw new CliError(`cannot reach the nbgrid service at ${this.url} (${(err as Error).message}): is it running? Try \`nbgrid up\`.`);
    }
    const text = await res.text();
    if (!res.ok) {
      throw new CliError(`${method} ${route} failed (${res.status}): ${errorAnswerMessage(text)}`);
    }
    return text;
  }

  putNotebook(name: string, content: unknown): Promise<INotebookInfo> {
    return this.request('PUT', `/api/notebooks/${name.split('/').map(encodeURIComponent).join('/')}`, { content });
  }
  map(name: string, body: Record<string, unknown>): Promise<IMapResult> {
    return this.request('POST', `${job(name)}/map`, body);
  }
  status(name: string, taskGroup?: string): Promise<{ rows: IStatusRow[] }> {
    return this.request('GET', `${job(name)}/status${q(taskGroup)}`);
  }
  restart(name: string, body: Record<string, unknown>): Promise<IRestartResult> {
    return this.request('POST', `${job(name)}/restart`, body);
  }
  cancel(name: string, body: Record<string, unknown>): Promise<ICancelResult> {
    return this.request('POST', `${job(name)}/cancel`, body);
  }
  results(name: string, taskGroup?: string): Promise<IResults> {
    return this.request('GET', `${job(name)}/results${q(taskGroup)}`);
  }
  groups(name: string): Promise<{ groups: ITaskGroup[] }> {
    return this.request('GET', `${job(name)}/groups`);
  }
  workers(): Promise<{ workers: IWorkerInfo[] }> {
    return this.request('GET', '/api/workers');
  }
}
