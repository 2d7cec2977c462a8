export { buildApp } from './app';
export type { IAppDeps, IHealthReport } from './app-deps';
export { DEFAULT_BODY_LIMIT } from './app-deps';
export { startServer, type IStartServerOptions, type IRunningServer } from './server';
export { UploadBudget, DEFAULT_UPLOAD_BUDGET_BYTES, type IUploadBudgetOptions, type IUploadBudgetStats } from './upload-budget';
