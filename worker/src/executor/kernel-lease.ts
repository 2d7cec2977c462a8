/**
 * What `executeNotebook` needs of a kernel pool: a ready kernel for one task, handed out as a
 * lease. `KernelPool` implements it; the options name this interface, not the class, so the
 * notebook types do not depend on the pool's machinery.
 */
import type { KernelMessage } from '@jupyterlab/services';
import type { KernelSession } from './kernel-session';

/** A kernel handed to one task. */
export interface IKernelLease {
  session: KernelSession;
  info: KernelMessage.IInfoReply;
  /** `Date.now()` when the kernel had started and answered `kernel_info`. */
  readyAt: number;
  /** Tasks this kernel served before this one (always 0 unless reused). */
  uses: number;
  /** GPUs (indices or UUIDs) of the slot the kernel is bound to; absent outside GPU slots. */
  gpus?: string[];
  /**
   * Gives the kernel back. `reuse: false` (the default mode) shuts it down in the background
   * (the pool's `close()` waits for it); `reuse: true` resets it and makes it available again.
   */
  release(options?: { reuse?: boolean }): void;
}

/** Hands out pre-started kernels. */
export interface IKernelSource {
  /** Whether `kernelName` is served from the pool. */
  pools(kernelName: string): boolean;
  /**
   * A ready kernel for one task, or null when `kernelName` is not pooled. Abandoning the returned
   * promise is safe only through `signal`.
   */
  acquire(kernelName: string, signal?: AbortSignal): Promise<IKernelLease | null>;
}
