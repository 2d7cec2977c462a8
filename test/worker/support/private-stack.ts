/**
 * A whole nbgrid stack (Redis, FerretDB, Kernel Gateway, API service, workers) of its own for one
 * test file, started by the project's stack code in a temporary directory and removed afterwards.
 * worker/dist must be built (`make build`): the service and workers run from it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { IRunningStack, upStack } from '../../../worker/src/stack';
import { TestApi } from './api';

export interface IPrivateStackOptions {
  workers: number;
  /** Seconds before an unacked message is redelivered (fault tests keep it short). */
  visibilityTimeout?: number;
  /** Runs before the stack stops, e.g. to stop processes the tests started next to it. */
  beforeStop?: () => Promise<void> | void;
  /** How the gateway launches kernels. @defaultValue the stack's default (fork) */
  kernelLaunch?: 'spawn' | 'fork';
}

export interface IPrivateStack {
  stack: IRunningStack;
  api: TestApi;
  home: string;
}

/**
 * Registers `beforeAll` (start, then `ready`) and `afterAll` (stop, remove the directory).
 * @param prefix names the temporary directory, e.g. `nbgrid-e2e-`
 * @param ready receives the running stack; assign it to the file's variables there
 */
export function usePrivateStack(prefix: string, options: IPrivateStackOptions, ready: (s: IPrivateStack) => void | Promise<void>): void {
  let home: string | undefined;
  let stack: IRunningStack | undefined;
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    stack = await upStack({ home, workers: options.workers, visibilityTimeout: options.visibilityTimeout, detached: false, kernelLaunch: options.kernelLaunch });
    await ready({ stack, api: new TestApi(stack.info), home });
  }, 180000);
  afterAll(async () => {
    await options.beforeStop?.();
    await stack?.down();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });
}
