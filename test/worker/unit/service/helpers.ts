/** Builds the app with the fake job service and controllable workers/health/events. */
import type { FastifyInstance } from 'fastify';
import type { ITaskEvent, IWorkerInfo } from '../../../../worker/src/domain/ports';
import { buildApp, type IAppDeps, type IHealthReport } from '../../../../worker/src/service';
import { FakeJobService } from './fake-job-service';

export const TOKEN = 'test-token-0123456789';
export const AUTH = { authorization: `token ${TOKEN}` };

export interface ITestApp {
  app: FastifyInstance;
  jobs: FakeJobService;
  /** Publishes to every current subscriber, like the Redis channel. */
  publish: (event: ITaskEvent) => void;
  subscribers: Set<(e: ITaskEvent) => void>;
  state: { health: IHealthReport | Error; workers: IWorkerInfo[] };
}

export function makeApp(overrides: Partial<IAppDeps> = {}): ITestApp {
  const jobs = new FakeJobService();
  const subscribers = new Set<(e: ITaskEvent) => void>();
  const state: ITestApp['state'] = { health: { mongo: 'ok', redis: 'ok' }, workers: [] };
  const app = buildApp({
    jobs,
    workers: async () => state.workers,
    health: async () => {
      if (state.health instanceof Error) {
        throw state.health;
      }
      return state.health;
    },
    subscribeEvents: (onEvent) => {
      subscribers.add(onEvent);
      return () => subscribers.delete(onEvent);
    },
    token: TOKEN,
    version: '0.1.0-test',
    ...overrides
  });
  return { app, jobs, subscribers, state, publish: (e) => subscribers.forEach((s) => s(e)) };
}

/** A small valid nbformat v4 notebook. */
export function notebook(source = 'x = 1'): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: [{ id: 'c1', cell_type: 'code', source, metadata: { tags: ['parameters'] }, outputs: [], execution_count: null }]
  };
}

export function taskEvent(overrides: Partial<ITaskEvent> = {}): ITaskEvent {
  return {
    name: 'tasks/main/00000001-0',
    job: 'main',
    task_group: '00000001',
    job_id: 0,
    task_id: 't-0',
    status: 'STARTED',
    run_status: 'unknown',
    message: '',
    worker: 'nbgrid@test',
    duration: null,
    ...overrides
  };
}
