/**
 * The kernel pool's bookkeeping per kernel name: ready kernels, starts in flight, and the tasks
 * waiting for a kernel.
 */
import type { KernelMessage } from '@jupyterlab/services';
import type { KernelSession } from './kernel-session';

/** A started kernel that answered `kernel_info`. */
export interface IReady {
  session: KernelSession;
  info: KernelMessage.IInfoReply;
  readyAt: number;
  uses: number;
}

/** A task waiting in `acquire` for a kernel. */
export interface IWaiter {
  resolve(kernel: IReady): void;
  reject(error: unknown): void;
  cancelled: boolean;
  /** Kernel starts begun before this waiter came: their failures are not this waiter's. */
  startsBefore: number;
}

/** One kernel name's ready, starting and resetting kernels and its waiters. */
export interface IPerName {
  idle: IReady[];
  starting: number;
  waiters: IWaiter[];
  /** Reused kernels being reset: they count toward the pool's size. */
  resetting: number;
}
