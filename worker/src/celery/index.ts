/** nbgrid's Celery layer on ioredis: kombu-compatible Redis transport, protocol v2, results, events, pidbox. */
export { CeleryKeys, PRIORITY_STEPS, SEP, type ICeleryKeysOptions } from './keys';
export * from './message';
export { CeleryProducer, type ICeleryProducerOptions, type ISendOptions } from './producer';
export { CeleryWorker, type ICeleryWorkerOptions } from './worker';
export type { ITaskContext, TaskHandler } from './task-context';
export { ResultBackend, type ITaskMeta, type IResultBackendOptions } from './result-backend';
export { EventDispatcher } from './event-dispatcher';
export { WorkerRegistry, type IWorkerRegistryOptions } from './worker-registry';
export { ControlServer, type IControlHandlers } from './control';
export { ControlClient, type IBroadcastOptions } from './control-client';
export { UnackedStore, type IUnackedStoreOptions, type IPopped } from './unacked-store';
export { exceptionInfo, type IExceptionInfo, type IPythonError } from './exception-info';
export { stderrLogger, type ICeleryLogger } from './logger';
export { TaskEventBus } from './task-event-bus';
export * from './errors';
