export { MalformedMessageError } from './malformed-message-error';
export { Retry } from './retry';
export { TimeLimitExceeded } from './time-limit-exceeded';
export { TaskRevokedError } from './task-revoked-error';
export { NotRegistered } from './not-registered-error';
export { ResultTimeoutError } from './result-timeout-error';
export { RemoteTaskError } from './remote-task-error';
export { WorkerShutdownError } from './worker-shutdown-error';
