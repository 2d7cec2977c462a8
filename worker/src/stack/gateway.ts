import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { parseModuleList } from '../config';
import { ForkServerUnavailableError, startForkServer } from './fork-server';
import { freePort } from './free-port';
import { IManagedProcess, spawnManaged, tailLog } from './managed-process';
import { venvBin } from './paths';
import { IServiceOptions, IStartedService } from './redis';
import { waitFor } from './wait-for';

const execFileAsync = promisify(execFile);

/**
 * How the gateway starts a `python3` kernel — in both modes nbgrid's batch kernel
 * (`nbgrid/kernels/batch.py`: ipykernel without debugger support or history database): `spawn`,
 * a fresh `python -m nbgrid.kernels.batch` per kernel (jupyter_client's way); `fork`, a new
 * process forked per kernel from a fork server that imported the kernel stack once.
 */
export type KernelLaunchMode = 'spawn' | 'fork';
export const KERNEL_LAUNCH_MODES: readonly KernelLaunchMode[] = ['spawn', 'fork'];

export { FORK_SERVER_NAME, PreloadRefusedError } from './fork-server';

export interface IGatewayOptions extends IServiceOptions {
  /** @defaultValue a random 48-hex-digit token */
  token?: string;
  /**
   * `fork`: start a kernel fork server next to the gateway and give the gateway a `python3`
   * kernelspec that launches through it. Each kernel is still a new process that ran no other
   * code, but skips Python's start-up and imports; see bench/README.md for what it shares with
   * the other kernels. Where the fork server cannot start (not Linux, an interpreter without
   * nbgrid's kernels, a server that fails its start) the gateway spawns kernels instead and says
   * so once through `log`. @defaultValue 'fork'
   */
  kernelLaunch?: KernelLaunchMode;
  /**
   * Modules the fork server imports once, after the kernel stack, so that forked kernels start
   * with them (`nbgrid up --preload`); fork mode only. A module that fails to import or leaves a
   * thread or an open descriptor behind fails the start (`PreloadRefusedError`). @defaultValue []
   */
  preload?: string[];
  /** The fork server's interpreter (tests point it elsewhere). @defaultValue the project's `.venv/bin/python` */
  forkServerPython?: string;
  /** Where the gateway says what an operator should know (the fallback to spawned kernels). @defaultValue stderr */
  log?: (line: string) => void;
  /**
   * Seconds a kernel with no websocket connection may stay idle before the gateway shuts it down
   * (Jupyter Server's `cull_idle_timeout` with `cull_connected=False`). A worker keeps a websocket
   * open to every kernel it holds, pooled or running, so this only takes kernels nobody holds any
   * more: the warm pool of a worker killed with -9, and (`cull_busy`) a kernel still running the
   * cell of a dead worker, whose task is redelivered anyway. 0 turns culling off.
   * @defaultValue {@link DEFAULT_CULL_IDLE_SECONDS}
   */
  cullIdleSeconds?: number;
  /** Seconds between two culling checks. @defaultValue {@link DEFAULT_CULL_INTERVAL_SECONDS} */
  cullIntervalSeconds?: number;
}

/** Default of `IGatewayOptions.cullIdleSeconds`: an abandoned kernel goes within about 5 minutes. */
export const DEFAULT_CULL_IDLE_SECONDS = 300;
/** Default of `IGatewayOptions.cullIntervalSeconds`. */
export const DEFAULT_CULL_INTERVAL_SECONDS = 30;

export interface IStartedGateway extends IStartedService {
  token: string;
  /** How kernels are launched: `spawn` also when `fork` was asked for but its server could not start. */
  kernelLaunch: KernelLaunchMode;
  /** The modules the fork server preloaded (none in `spawn` mode). */
  preload: string[];
  /** The kernel fork server (`fork` mode), stopped by `stop()` after the gateway. */
  forkServer: IManagedProcess | null;
  /** The kernels' working directory (private, outside the stack's directory), removed when the gateway stops. */
  kernelCwd: string;
}

/** Checks a `--kernel-launch` / `NBGRID_KERNEL_LAUNCH` value. */
export function parseKernelLaunch(value: string | undefined): KernelLaunchMode {
  const mode = (value || 'fork') as KernelLaunchMode;
  if (!KERNEL_LAUNCH_MODES.includes(mode)) {
    throw new Error(`kernel launch mode must be ${KERNEL_LAUNCH_MODES.join(' or ')}, got '${value}'`);
  }
  return mode;
}

/**
 * Checks a `--preload` / `NBGRID_PRELOAD` value: comma-separated dotted Python module names.
 * @throws naming the first entry that is not one
 */
export function parsePreload(value: string): string[] {
  const names = parseModuleList(value);
  const bad = names.find((name) => !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(name));
  if (bad !== undefined) throw new Error(`'${bad}' is not a Python module name (expected e.g. numpy,pandas)`);
  return names;
}

/**
 * The environment the gateway (and so every kernel it starts) sees: the machine's, minus
 * anything of nbgrid's — a notebook must never be able to read the service or gateway token.
 */
export function kernelSafeEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (/^NBGRID_|TOKEN|SECRET|PASSWORD/i.test(key)) continue;
    clean[key] = value;
  }
  return clean;
}

export async function pingGateway(url: string, token: string): Promise<boolean> {
  const res = await fetch(`${url}/api/kernelspecs`, {
    headers: { Authorization: `token ${token}` },
    signal: AbortSignal.timeout(2000)
  });
  return res.ok;
}

/** File in the gateway's directory that names its kernels' working directory, for the next start to remove. */
const KERNEL_CWD_RECORD = 'kernel-cwd';
const KERNEL_CWD_PREFIX = 'nbgrid-kernels-';

/**
 * Removes the kernels' working directory that the gateway started from `dir` last used (named in
 * `<dir>/kernel-cwd`), for `nbgrid down`, which stops the gateway by its pid. Only a directory
 * named like one under the system's temporary directory is removed.
 */
export function removeKernelCwd(dir: string): void {
  let earlier = '';
  try {
    earlier = fs.readFileSync(path.join(dir, KERNEL_CWD_RECORD), 'utf8').trim();
  } catch {
    return; // no gateway started here
  }
  if (earlier && path.dirname(earlier) === os.tmpdir() && path.basename(earlier).startsWith(KERNEL_CWD_PREFIX)) {
    fs.rmSync(earlier, { recursive: true, force: true });
  }
}

/**
 * A fresh private (0700) working directory for the gateway and so for every kernel it starts (the
 * fork server's kernels take the launcher's, which is the gateway's). It is under the system's
 * temporary directory, not under the stack's: from there a notebook's working directory and its
 * parents hold no token, no `stack.json` and no configuration file. The one of an earlier start
 * from `dir` (a stack stopped by `nbgrid down`, which only signals processes) is removed first.
 */
function freshKernelCwd(dir: string): string {
  removeKernelCwd(dir);
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), KERNEL_CWD_PREFIX));
  fs.chmodSync(cwd, 0o700);
  fs.writeFileSync(path.join(dir, KERNEL_CWD_RECORD), cwd + '\n', { mode: 0o600 });
  return cwd;
}

/**
 * Writes the batch kernel's `python3` kernelspec (`python -m nbgrid.kernels.kernelspec`) under
 * `<dir>/kernel-batch`; returns the directory to put first on the gateway's JUPYTER_PATH.
 */
async function writeBatchKernelspec(dir: string): Promise<string> {
  const dataDir = path.join(dir, 'kernel-batch');
  try {
    await execFileAsync(venvBin('python'), ['-m', 'nbgrid.kernels.kernelspec', dataDir], { env: { PATH: kernelSafeEnv().PATH ?? '' }, timeout: 60000 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`could not write the batch kernelspec into ${dataDir}: ${e.stderr?.trim() || e.message}`);
  }
  return dataDir;
}

/**
 * Starts a token-protected Jupyter Kernel Gateway from the project's virtualenv, with the batch
 * kernel as its `python3` kernel; in `fork` kernel launch mode, a kernel fork server first.
 */
/** Variables a kernel start request may set besides KERNEL_*: the GPU slot of the kernel. */
export const KERNEL_ENV_WHITELIST = ['CUDA_VISIBLE_DEVICES', 'NVIDIA_VISIBLE_DEVICES', 'NBGRID_GPUS'];

export async function startGateway(options: IGatewayOptions): Promise<IStartedGateway> {
  const port = options.port ?? (await freePort());
  const token = options.token ?? randomBytes(24).toString('hex');
  let kernelLaunch = options.kernelLaunch ?? 'fork';
  // The token goes in a private config file, not on the command line or in the environment,
  // where every kernel the gateway starts could read it.
  // It is removed once the gateway has read it (it answers with that token): the path is on the
  // gateway's command line, which a kernel can read from /proc.
  const configFile = path.join(options.dir, 'kernelgateway_config.json');
  fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(configFile, JSON.stringify({ KernelGatewayApp: { auth_token: token } }), { mode: 0o600 });
  fs.chmodSync(configFile, 0o600);
  const kernelCwd = freshKernelCwd(options.dir);
  const cullIdle = options.cullIdleSeconds ?? DEFAULT_CULL_IDLE_SECONDS;
  const cullInterval = options.cullIntervalSeconds ?? DEFAULT_CULL_INTERVAL_SECONDS;
  const env: NodeJS.ProcessEnv = { ...kernelSafeEnv(), JUPYTER_RUNTIME_DIR: `${options.dir}/jupyter-runtime` };
  let forkServer: IManagedProcess | null = null;
  let specDir = '';
  if (kernelLaunch === 'fork') {
    try {
      // What the gateway gives a kernel it starts (PATH, besides the variables jupyter_client and
      // the gateway add per kernel): the interpreter start-up variables (PYTHON*, locale) of the
      // server then match a kernel's, so its kernels can be forks of it.
      const fork = await startForkServer({
        dir: options.dir, detached: options.detached, preload: options.preload, python: options.forkServerPython,
        env: { PATH: kernelSafeEnv().PATH ?? '' }
      });
      forkServer = fork.process;
      specDir = fork.dataDir;
    } catch (err) {
      if (!(err instanceof ForkServerUnavailableError)) throw err;
      kernelLaunch = 'spawn';
      const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
      log(`kernel fork server unavailable (${err.message}); the gateway spawns its kernels instead${options.preload?.length ? ', without the preloaded modules' : ''}`);
    }
  }
  if (kernelLaunch === 'spawn') specDir = await writeBatchKernelspec(options.dir);
  env.JUPYTER_PATH = [specDir, env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
  const proc = spawnManaged({
    name: 'kernelgateway',
    command: venvBin('jupyter'),
    args: [
      'kernelgateway',
      '--KernelGatewayApp.ip=127.0.0.1',
      `--KernelGatewayApp.port=${port}`,
      `--config=${configFile}`,
      // jupyter-websocket with TCP_NODELAY on kernel websockets (nbgrid/gateway/personality.py):
      // without it, every cell waits ~40 ms on delayed ACKs
      '--KernelGatewayApp.api=nbgrid.gateway.personality',
      '--JupyterWebsocketPersonality.list_kernels=True',
      // Jupyter Server's IOPub rate limits replace a large print with "IOPub data rate exceeded"
      // and drop outputs while the run stays OK; the worker bounds output itself (output-budget.ts).
      '--ZMQChannelsWebsocketConnection.limit_rate=False',
      '--KernelGatewayApp.log_level=WARN',
      // Kernels nobody is connected to are shut down once idle (no message) for cullIdle seconds:
      // a killed worker's kernels do not stay. A connected kernel is never culled, busy or not.
      `--MappingKernelManager.cull_idle_timeout=${cullIdle}`,
      `--MappingKernelManager.cull_interval=${cullInterval}`,
      '--MappingKernelManager.cull_connected=False',
      '--MappingKernelManager.cull_busy=True',
      // A GPU worker starts each kernel with its slot's GPUs (worker/src/gpu/gpu-slots.ts): the
      // gateway passes a kernel only KERNEL_* variables and these, in spawn and fork mode alike.
      ...KERNEL_ENV_WHITELIST.map((name) => `--JupyterWebsocketPersonality.env_whitelist=${name}`)
    ],
    dir: options.dir,
    cwd: kernelCwd,
    env,
    detached: options.detached
  });
  // Whoever stops the gateway process (a stack stops its processes one by one) removes the
  // kernels' directory with it.
  const gateway: IManagedProcess = {
    ...proc,
    stop: async () => {
      await proc.stop();
      fs.rmSync(kernelCwd, { recursive: true, force: true });
    }
  };
  // The gateway first, so it shuts its kernels down; then the server, which kills any left.
  const stop = async (): Promise<void> => {
    await gateway.stop();
    await forkServer?.stop();
    fs.rmSync(configFile, { force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('Kernel Gateway', () => pingGateway(url, token), {
      timeoutMs: 60000,
      intervalMs: 250,
      isAlive: proc.isAlive
    });
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${tailLog(proc.logFile)}`);
  }
  fs.rmSync(configFile, { force: true });
  const preload = forkServer ? (options.preload ?? []) : [];
  return { url, token, kernelLaunch, preload, process: gateway, forkServer, kernelCwd, stop };
}
