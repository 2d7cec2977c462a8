/**
 * The kernel fork server next to a gateway (`python -m nbgrid.kernels.forkserver`): its start, the
 * modules it preloads, and the two ways a start can fail — one the gateway answers by spawning
 * kernels instead (no Linux, another interpreter, a server that does not come up), one it must not
 * paper over (a module the operator asked to preload was refused).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { IManagedProcess, spawnManaged, tailLog } from './managed-process';
import { repoRoot, venvBin } from './paths';
import { waitFor } from './wait-for';

/** Name of the fork server in `stack.json` pids and of its log file. */
export const FORK_SERVER_NAME = 'kernelforkserver';

/** The fork server cannot run here: the gateway spawns its kernels instead (and says so once). */
export class ForkServerUnavailableError extends Error {}

/**
 * The fork server refused a module of `--preload` (it failed to import, or left a thread or an open
 * descriptor in the server). Not a reason to fall back silently: the operator asked for it.
 */
export class PreloadRefusedError extends Error {}

export interface IForkServerOptions {
  /** The gateway's run directory; the server's files go in `<dir>/kernel-fork` (mode 0700). */
  dir: string;
  detached?: boolean;
  /** Modules to import into the server after the kernel stack (`nbgrid up --preload`). @defaultValue [] */
  preload?: string[];
  /**
   * The interpreter that runs the server (and so every forked kernel); it must be the one whose
   * environment has nbgrid and ipykernel. Tests point it elsewhere to see the fallback.
   * @defaultValue the project's `.venv/bin/python`
   */
  python?: string;
  /** The environment the server starts with (the gateway gives its kernels the same start-up variables). */
  env: NodeJS.ProcessEnv;
  /** Seconds to wait for the server's socket (imports of preloaded modules count). @defaultValue 120 */
  startTimeoutSeconds?: number;
}

export interface IStartedForkServer {
  process: IManagedProcess;
  /** The kernelspec directory to put first on the gateway's JUPYTER_PATH. */
  dataDir: string;
}

// A Unix socket path holds at most 107 bytes (sun_path), and the server binds `<path>.<pid>.tmp`
// first: deeper run directories put the socket in a private temp dir.
const MAX_SOCKET_PATH = 90;
/** File the server writes when it refuses a preloaded module: the reason, one line. */
const REFUSAL_FILE = 'preload-refused';

/**
 * Starts the fork server in `<dir>/kernel-fork`: its socket and the kernelspec directory to put
 * first on the gateway's JUPYTER_PATH. Ready when the socket exists (the server renames it into
 * place once it listens, after its imports).
 * @throws ForkServerUnavailableError where it cannot run; PreloadRefusedError for a refused module
 */
export async function startForkServer(options: IForkServerOptions): Promise<IStartedForkServer> {
  if (process.platform !== 'linux') {
    // It relies on fork() without exec, SO_PEERCRED and PR_SET_PDEATHSIG.
    throw new ForkServerUnavailableError(`the kernel fork server runs on Linux only (this is ${process.platform})`);
  }
  const forkDir = path.join(options.dir, 'kernel-fork');
  fs.mkdirSync(forkDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(forkDir, 0o700);
  let socketPath = path.join(forkDir, 'fork.sock');
  let socketDir: string | null = null;
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-fork-'));
    socketPath = path.join(socketDir, 'fork.sock');
  }
  fs.rmSync(socketPath, { force: true });
  const refusalFile = path.join(forkDir, REFUSAL_FILE);
  fs.rmSync(refusalFile, { force: true });
  const dataDir = path.join(forkDir, 'jupyter');
  const args = ['-m', 'nbgrid.kernels.forkserver', '--socket', socketPath, '--kernelspec-dir', dataDir];
  const preload = options.preload ?? [];
  if (preload.length) args.push('--preload', preload.join(','), '--refusal-file', refusalFile);
  let proc: IManagedProcess;
  try {
    proc = spawnManaged({
      name: FORK_SERVER_NAME, command: options.python ?? venvBin('python'), args, dir: options.dir, env: options.env, detached: options.detached,
      // `-m` imports nbgrid from the working directory: the kernels are those of the tree whose
      // stack started the server, not of another checkout an editable install may point at. The
      // server takes that directory off sys.path before it imports anything else.
      cwd: repoRoot
    });
  } catch (err) {
    throw new ForkServerUnavailableError((err as Error).message);
  }
  // The server removes its socket when it stops; a temp dir made for it goes with it.
  const stop = async (): Promise<void> => {
    await proc.stop();
    if (socketDir) fs.rmSync(socketDir, { recursive: true, force: true });
  };
  try {
    await waitFor('kernel fork server', async () => fs.existsSync(socketPath), {
      timeoutMs: (options.startTimeoutSeconds ?? 120) * 1000, intervalMs: 50, isAlive: proc.isAlive
    });
  } catch (err) {
    await stop();
    if (fs.existsSync(refusalFile)) throw new PreloadRefusedError(fs.readFileSync(refusalFile, 'utf8').trim());
    const tail = tailLog(proc.logFile, 5);
    throw new ForkServerUnavailableError(`${(err as Error).message}${tail ? `: ${tail.split('\n').join(' | ')}` : ''}`);
  }
  return { process: { ...proc, stop }, dataDir };
}
