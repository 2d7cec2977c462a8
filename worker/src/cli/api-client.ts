import * as fs from 'fs';
import * as path from 'path';
import type { IMapResult, IRestartResult, ICancelResult, IResults, IWorkerInfo } from '../domain/ports';
import type { INotebookInfo, IStatusRow, ITaskGroup } from '../domain/types';
import { nbgridHome } from '../stack/paths';

/** Where the CLI finds the service: NBGRID_URL + NBGRID_TOKEN, else `<NBGRID_HOME>/stack.json`. */
export function resolveEndpoint(env: NodeJS.ProcessEnv = process.env): { url: string; token: string } {
  if (env.NBGRID_URL) return { url: env.NBGRID_URL.replace(/\/$/, ''), token: env.NBGRID_TOKEN ?? '' };
  const file = path.join(nbgridHome(env), 'stack.json');
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as { api_url: string; token: string };
    return { url: info.api_url, token: info.token };
  } catch {
    throw new CliError(`no nbgrid service configured: ${file} does not exist. Start one with \`nbgrid up\` (or \`make demo\`), or set NBGRID_URL and NBGRID_TOKEN.`);
  }
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
  constructor(readonly url: string, private readonly token: string) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): ApiClient {
    const { url, token } = resolveEndpoint(env);
    return new ApiClient(url, token);
  }

  async request<T>(method: string, route: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url + route, {
        method,
        headers: { Authorization: `token ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body)
      });
    } catch (err) {
      throw new CliError(`cannot reach the nbgrid service at ${this.url} (${(err as Error).message}): is it running? Try \`nbgrid up\`.`);
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        /* not JSON */
      }
      throw new CliError(`${method} ${route} failed (${res.status}): ${message}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
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
