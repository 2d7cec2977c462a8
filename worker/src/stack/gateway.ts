import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { freePort } from './free-port';
import { spawnManaged, tailLog } from './managed-process';
import { venvBin } from './paths';
import { IServiceOptions, IStartedService } from './redis';
import { waitFor } from './wait-for';

export interface IStartedGateway extends IStartedService {
  token: string;
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

/** Starts a token-protected Jupyter Kernel Gateway from the project's virtualenv. */
export async function startGateway(options: IServiceOptions & { token?: string }): Promise<IStartedGateway> {
  const port = options.port ?? (await freePort());
  const token = options.token ?? randomBytes(24).toString('hex');
  // The token goes in a private config file, not on the command line or in the environment,
  // where every kernel the gateway starts could read it.
  const configFile = path.join(options.dir, 'kernelgateway_config.json');
  fs.mkdirSync(options.dir, { recursive: true });
  fs.writeFileSync(configFile, JSON.stringify({ KernelGatewayApp: { auth_token: token } }), { mode: 0o600 });
  const proc = spawnManaged({
    name: 'kernelgateway',
    command: venvBin('jupyter'),
    args: [
      'kernelgateway',
      '--KernelGatewayApp.ip=127.0.0.1',
      `--KernelGatewayApp.port=${port}`,
      `--config=${configFile}`,
      '--JupyterWebsocketPersonality.list_kernels=True',
      '--KernelGatewayApp.log_level=WARN'
    ],
    dir: options.dir,
    env: { ...kernelSafeEnv(), JUPYTER_RUNTIME_DIR: `${options.dir}/jupyter-runtime` },
    detached: options.detached
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('Kernel Gateway', () => pingGateway(url, token), {
      timeoutMs: 60000,
      intervalMs: 250,
      isAlive: proc.isAlive
    });
  } catch (err) {
    await proc.stop();
    throw new Error(`${(err as Error).message}\n${tailLog(proc.logFile)}`);
  }
  return { url, token, process: proc, stop: () => proc.stop() };
}
