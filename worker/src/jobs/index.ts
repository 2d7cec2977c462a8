export { JobService, MAX_PARAMS, MAX_PARAM_BYTES, type IJobServiceDeps } from './job-service';
export { statusRow, taskEvent } from './task-rows';
