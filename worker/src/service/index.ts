export { buildApp } from './app';
export type { IAppDeps, IHealthReport } from './app-deps';
export { DEFAULT_BODY_LIMIT } from './app-deps';
export { startServer, type IStartServerOptions, type IRunningServer } from './server';
