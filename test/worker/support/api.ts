import type { IStackInfo } from '../../../worker/src/stack';
import type { IMapResult } from '../../../worker/src/domain/ports';
import { isFinalState } from '../../../worker/src/domain/queue-states';
import type { IStatusRow } from '../../../worker/src/domain/types';

/** A minimal client of the real API for tests: returns status and parsed body, never throws on 4xx. */
export class TestApi {
  constructor(private readonly info: Pick<IStackInfo, 'api_url' | 'token'>, private readonly token = info.token) {}

  withToken(token: string): TestApi {
    return new TestApi(this.info, token);
  }

  async call<T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(this.info.api_url + route, {
      method,
      headers: { Authorization: `token ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  async put(name: string, content: unknown): Promise<void> {
    const res = await this.call('PUT', `/api/notebooks/${name}`, { content });
    if (res.status !== 200 && res.status !== 201) throw new Error(`put ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async map(job: string, body: Record<string, unknown>): Promise<IMapResult> {
    const res = await this.call<IMapResult>(
      'POST', `/api/jobs/${encodeURIComponent(job)}/map`, body);
    if (res.status !== 201 && res.status !== 200) throw new Error(`map ${job}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async status(job: string, group?: string): Promise<IStatusRow[]> {
    const q = group ? `?task_group=${encodeURIComponent(group)}` : '';
    return (await this.call<{ rows: IStatusRow[] }>('GET', `/api/jobs/${encodeURIComponent(job)}/status${q}`)).body.rows;
  }

  /** Polls until every task of the group has finished (SUCCESS, FAILURE or REVOKED). */
  async waitDone(job: string, group: string, timeoutMs = 120000): Promise<IStatusRow[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.status(job, group);
      if (rows.length && rows.every((r) => isFinalState(r.status))) return rows;
      if (Date.now() > deadline) throw new Error(`group ${group} unfinished: ${JSON.stringify(rows.map((r) => r.status))}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
