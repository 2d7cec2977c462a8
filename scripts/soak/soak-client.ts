/**
 * The soak's client of the REST API: every call has a timeout, and reads ride out outages (the
 * service, Redis or MongoDB down) by retrying until a deadline, as a patient user would.
 */
import type { IMapResult } from '../../worker/src/domain/ports';
import type { IJobRun } from '../../worker/src/domain/types';

/** A task as `GET /api/jobs/<name>/tasks` returns it (the fields the soak reads). */
export interface ISoakTask {
  name: string;
  job_id: number;
  task_id: string;
  state: string;
  run_status: string;
  worker: string | null;
  param: unknown;
  job_runs: IJobRun[];
  updated: string;
}

export interface IResults {
  results: unknown[];
  missing: number[];
}

export interface ICallResult<T> {
  status: number;
  body: T;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A refusal that says nothing was stored (connection refused before sending, or a 503). */
function nothingStored(err: unknown, status?: number): boolean {
  if (status === 503) return true;
  const code = (err as { cause?: { code?: string } } | undefined)?.cause?.code;
  return code === 'ECONNREFUSED';
}

export class SoakClient {
  /** Calls that failed (network error, 5xx), counted for the report. */
  failedCalls = 0;

  constructor(private readonly apiUrl: string, private readonly token: string, private readonly timeoutMs = 30000) {}

  async call<T>(method: string, route: string, body?: unknown): Promise<ICallResult<T>> {
    const res = await fetch(this.apiUrl + route, {
      method,
      headers: { Authorization: `token ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs)
    });
    const text = await res.text();
    let parsed: unknown = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { message: text.slice(0, 200) };
    }
    return { status: res.status, body: parsed as T };
  }

  /**
   * Repeats `method route` until it answers 2xx or `deadlineMs` passes. `idempotent` false: retry
   * only refusals that stored nothing (a timeout may have stored the request).
   */
  async patient<T>(method: string, route: string, body: unknown, deadlineMs: number, idempotent = true): Promise<T> {
    let last = '';
    for (;;) {
      let status: number | undefined;
      try {
        const res = await this.call<T>(method, route, body);
        status = res.status;
        if (status >= 200 && status < 300) return res.body;
        last = `${status} ${JSON.stringify(res.body).slice(0, 300)}`;
        if (status < 500) throw new Error(`${method} ${route}: ${last}`);
      } catch (err) {
        if (status !== undefined && status < 500) throw err;
        last = last || String((err as Error).message);
        if (!idempotent && !nothingStored(err, status)) throw new Error(`${method} ${route} failed and may have been stored: ${last}`);
      }
      this.failedCalls++;
      if (Date.now() > deadlineMs) throw new Error(`${method} ${route} did not succeed before the deadline: ${last}`);
      await sleep(1000);
    }
  }

  putNotebook(name: string, content: unknown, deadlineMs: number): Promise<unknown> {
    return this.patient('PUT', `/api/notebooks/${name}`, { content }, deadlineMs);
  }

  map(job: string, params: unknown[], deadlineMs: number, require?: string): Promise<IMapResult> {
    const body = require ? { params, require } : { params };
    return this.patient<IMapResult>('POST', `/api/jobs/${encodeURIComponent(job)}/map`, body, deadlineMs, false);
  }

  restart(job: string, taskGroup: string, deadlineMs: number): Promise<{ restarted: { name: string }[] }> {
    return this.patient('POST', `/api/jobs/${encodeURIComponent(job)}/restart`, { task_group: taskGroup }, deadlineMs);
  }

  cancel(job: string, taskGroup: string, deadlineMs: number): Promise<{ revoked: number }> {
    return this.patient('POST', `/api/jobs/${encodeURIComponent(job)}/cancel`, { task_group: taskGroup }, deadlineMs);
  }

  async tasks(job: string, taskGroup: string, deadlineMs: number): Promise<ISoakTask[]> {
    const body = await this.patient<{ tasks: ISoakTask[] }>('GET', `/api/jobs/${encodeURIComponent(job)}/tasks?task_group=${taskGroup}`, undefined, deadlineMs);
    return [...body.tasks].sort((a, b) => a.job_id - b.job_id);
  }

  results(job: string, taskGroup: string, deadlineMs: number): Promise<IResults> {
    return this.patient('GET', `/api/jobs/${encodeURIComponent(job)}/results?task_group=${taskGroup}`, undefined, deadlineMs);
  }
}
