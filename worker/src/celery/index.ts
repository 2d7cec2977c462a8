/**
 * A Celery layer on ioredis: kombu-compatible Redis transport, protocol v2 messages, Celery's
 * Redis result backend, events and pidbox control. Generic: it knows nothing of notebooks.
 */
export { CeleryKeys, PRIORITY_STEPS, SEP, type ICeleryKeysOptions } from './keys';
export * from './message';
export type { JsonValue, CeleryState } from './types';
export { READY_STATES } from './types';
export { CeleryProducer, type ICeleryProducerOptions, type ISendOptions } from './producer';
export { CeleryWorker, type ICeleryWorkerOptions } from './worker';
export { CeleryConsumer, type ICeleryConsumerOptions, type IDelivery, type IDeliveryHandler } from './consumer';
export { TaskRunner, type ITaskRunnerOptions, type ITimeLimits } from './task-runner';
export type { ITaskContext, TaskHandler } from './task-context';
export { ResultBackend, type ITaskMeta, type IResultBackendOptions } from './result-backend';
export { RevokedRegistry, defaultRevokeExpires } from './revoked-registry';
export { EventDispatcher } from './event-dispatcher';
export { WorkerRegistry, type ICeleryWorkerInfo, type IWorkerRegistryOptions } from './worker-registry';
export { ControlServer, NO_REPLY, type ControlCommand, type IControlServerOptions } from './control';
export { celeryControlCommands, type IControlTarget } from './control-commands';
export { parseRate, RateLimiter } from './rate-limit';
export { requestInfo } from './request-info';
export { ControlClient, type IBroadcastOptions } from './control-client';
export { UnackedStore, DEFAULT_VISIBILITY_TIMEOUT, type IUnackedStoreOptions, type IPopped } from './unacked-store';
export { exceptionInfo, type IExceptionInfo } from './exception-info';
export { stderrLogger, type ICeleryLogger } from './logger';
export type { ISoftwareInfo } from './software';
export * from './errors';
