/**
 * The code a pooled kernel runs so it can serve another task (opt-in reuse): it remembers its
 * first working directory when it starts, and between tasks goes back there and starts a new
 * IPython session (empty user namespace, history and execution count restarted).
 */
import type { KernelSession } from './kernel-session';

/** Milliseconds the remember and reset snippets may take. */
const SNIPPET_TIMEOUT_MS = 10000;

/** Remembers the starting directory on the shell object, outside the user namespace. */
const REMEMBER_CWD = 'import os as _nbgrid_os\nget_ipython()._nbgrid_cwd = _nbgrid_os.getcwd()\ndel _nbgrid_os';

const RESET_CODE = [
  'import os as _nbgrid_os',
  '_nbgrid_os.chdir(get_ipython()._nbgrid_cwd)',
  'get_ipython().reset(new_session=True, aggressive=False)'
].join('\n');

/** Runs `code` silently (no history, no outputs kept); resolves with the reply's status. */
async function runSilently(session: KernelSession, code: string): Promise<string> {
  const reply = await session.execute(
    { code, silent: true, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: false },
    { onIOPub: () => undefined, onReply: () => undefined },
    { ms: SNIPPET_TIMEOUT_MS, cellIndex: -1 }
  );
  return reply.content.status;
}

/** Run once on a new kernel, before its first task: what a later reset goes back to. */
export async function rememberWorkingDirectory(session: KernelSession): Promise<void> {
  await runSilently(session, REMEMBER_CWD);
}

/** Resets a kernel between two tasks; rejects when the kernel did not answer `ok`. */
export async function resetKernel(session: KernelSession): Promise<void> {
  if ((await runSilently(session, RESET_CODE)) !== 'ok') throw new Error('reset failed');
}
