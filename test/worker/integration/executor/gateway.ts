/**
 * One Kernel Gateway per test file, from `worker/src/stack`, in a temp dir; removed on stop.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { startGateway } from '../../../../worker/src/stack';

export interface ITestGateway {
  url: string;
  token: string;
  stop(): Promise<void>;
}

export const REPO = resolve(__dirname, '../../../..');
export const VENV_PYTHON = join(REPO, '.venv/bin/python');

export async function startTestGateway(): Promise<ITestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'nbgrid-executor-gw-'));
  const gateway = await startGateway({ dir });
  return {
    url: gateway.url,
    token: gateway.token,
    async stop() {
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Kernels the gateway is running now (the stack's gateway enables listing). */
export async function listKernels(gateway: ITestGateway): Promise<unknown[]> {
  const response = await fetch(`${gateway.url}/api/kernels`, { headers: { Authorization: `token ${gateway.token}` } });
  if (!response.ok) {
    throw new Error(`GET /api/kernels: ${response.status}`);
  }
  return (await response.json()) as unknown[];
}
