import type { ServerConnection } from '@jupyterlab/services';
import type { INbgridClient } from '../../src/tokens';
import type { IStatusRow, ITaskGroup } from '../../src/types';

/** An in-memory INbgridClient whose methods are jest mocks. */
export function fakeClient(groups: ITaskGroup[], rows: Record<string, IStatusRow[]>): jest.Mocked<INbgridClient> {
  return {
    serverSettings: { baseUrl: 'http://localhost:8888/', token: '' } as ServerConnection.ISettings,
    config: jest.fn(async () => ({ api_reachable: true, api_url: 'http://127.0.0.1:1' })),
    workers: jest.fn(async () => []),
    putNotebook: jest.fn(),
    getNotebook: jest.fn(),
    map: jest.fn(),
    status: jest.fn(async (_job: string, group?: string) => (rows[group ?? groups[0]?.task_group] ?? []).map(r => ({ ...r }))),
    groups: jest.fn(async () => groups.map(g => ({ ...g }))),
    restart: jest.fn(async (_job, options) => ({ task_group: options.task_group ?? '', restarted: [{ name: 'x', task_id: 'y' }] })),
    cancel: jest.fn(async (_job, options) => ({ task_group: options.task_group ?? '', revoked: 2 })),
    eventsUrl: jest.fn((job: string) => `http://localhost:8888/nbgrid/api/events?job=${job}`),
    schedules: jest.fn(async () => []),
    createSchedule: jest.fn(),
    cleanup: jest.fn()
  } as unknown as jest.Mocked<INbgridClient>;
}

export function row(job_id: number, overrides: Partial<IStatusRow> = {}): IStatusRow {
  return {
    name: `tasks/main/abcd1234-${job_id}`,
    task_id: `id-${job_id}`,
    status: 'PENDING',
    run_status: 'unknown',
    task_group: 'abcd1234',
    job_id,
    duration: null,
    worker: null,
    message: '',
    results: null,
    ...overrides
  };
}

export const group: ITaskGroup = {
  task_group: 'abcd1234',
  job: 'main',
  count: 4,
  require: 'default',
  created: '2026-11-21T04:00:00.000Z',
  states: { PENDING: 4 }
};

/** A fake EventSource that tests drive by hand. */
export class FakeEventStream {
  static last: FakeEventStream | null = null;
  constructor(readonly url: string) {
    FakeEventStream.last = this;
  }
  listeners: Record<string, ((event: MessageEvent) => void)[]> = {};
  onerror: ((event: Event) => void) | null = null;
  onopen: ((event: Event) => void) | null = null;
  readyState = 0;
  closed = false;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void {
    (this.listeners[type] ??= []).push(listener);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  emit(type: string, data: unknown): void {
    for (const listener of this.listeners[type] ?? []) {
      listener(new MessageEvent(type, { data: JSON.stringify(data) }));
    }
  }
}
