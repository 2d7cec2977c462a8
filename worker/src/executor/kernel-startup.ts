/**
 * Code a pooled kernel runs once after it started, before any task (e.g. the hook that puts a GPU
 * slot's GPUs in `job`): silently, outside the history; a failure fails the kernel's start.
 */
import type { KernelSession } from './kernel-session';

/** Milliseconds the startup code may take. */
const STARTUP_TIMEOUT_MS = 10000;

/** @throws Error when the kernel did not answer `ok` */
export async function runStartupCode(session: KernelSession, code: string): Promise<void> {
  const reply = await session.execute(
    { code, silent: true, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: false },
    { onIOPub: () => undefined, onReply: () => undefined },
    { ms: STARTUP_TIMEOUT_MS, cellIndex: -1 }
  );
  if (reply.content.status !== 'ok') throw new Error(`the kernel's startup code failed (${reply.content.status})`);
}
