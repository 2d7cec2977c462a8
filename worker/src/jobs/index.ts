export { JobService, type IJobServiceDeps } from './job-service';
export { MAX_PARAMS, MAX_PARAM_BYTES } from './map-options';
