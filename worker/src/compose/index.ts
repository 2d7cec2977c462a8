/** How the API service and a worker node are put together; the CLI, tests and benchmarks use these. */
export { composeApiService, type IApiService, type IApiServiceOverrides } from './api-service';
export { composeWorkerNode, POOL_AHEAD, resolveWorkerSettings, type IWorkerNode, type IWorkerNodeOptions, type IWorkerSettings } from './worker-node';
