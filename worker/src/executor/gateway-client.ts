/**
 * REST calls to a Jupyter Kernel Gateway (`/api/kernels`). The token goes in the Authorization
 * header only; kernels are started with an empty `env`, so the gateway gives them only PATH (plus
 * its own whitelist) and none of nbgrid's or the gateway's secrets.
 */
import { GatewayUnreachableError } from './errors/gateway-unreachable-error';

/**
 * Milliseconds to keep retrying a kernel shutdown the gateway answers with a server error.
 * @defaultValue 30000
 */
export const SHUTDOWN_RETRY_MS = 30000;

export interface IKernelModel {
  id: string;
  name: string;
  execution_state?: string;
}

export class GatewayClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    readonly token: string
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /**
   * Starts a kernel; resolves once the gateway answered (the kernel process is launched). `env`
   * reaches the kernel for `KERNEL_*` names and those in the gateway's `env_whitelist`.
   */
  async startKernel(name: string, signal?: AbortSignal, env: Record<string, string> = {}): Promise<IKernelModel> {
    const response = await this.request('POST', '/api/kernels', { name, env }, signal);
    if (!response.ok) {
      throw new GatewayUnreachableError(
        `The kernel gateway at ${this.baseUrl} refused to start kernel '${name}': ` +
          `${response.status} ${response.statusText} ${await safeText(response)}`.trim()
      );
    }
    return (await response.json()) as IKernelModel;
  }

  /** The kernel's model, or null when the gateway no longer knows it. */
  async getKernel(id: string, signal?: AbortSignal): Promise<IKernelModel | null> {
    const response = await this.request('GET', `/api/kernels/${encodeURIComponent(id)}`, undefined, signal);
    if (response.status === 404) {
      return null;
    }
    if (!response.ok) {
      throw new GatewayUnreachableError(`GET kernel ${id}: ${response.status} ${response.statusText}`);
    }
    return (await response.json()) as IKernelModel;
  }

  /** Every kernel the gateway runs (needs the gateway's `list_kernels`, on in nbgrid's stack). */
  async listKernels(signal?: AbortSignal): Promise<IKernelModel[]> {
    const response = await this.request('GET', '/api/kernels', undefined, signal);
    if (!response.ok) {
      throw new GatewayUnreachableError(`GET kernels: ${response.status} ${response.statusText}`);
    }
    return (await response.json()) as IKernelModel[];
  }

  async interruptKernel(id: string): Promise<void> {
    await this.request('POST', `/api/kernels/${encodeURIComponent(id)}/interrupt`);
  }

  /**
   * Shuts the kernel down; a kernel the gateway no longer knows counts as shut down. The gateway
   * answers 500 while it is auto-restarting a dead kernel, so server errors are retried until the
   * restart is over (at most `SHUTDOWN_RETRY_MS`).
   */
  async shutdownKernel(id: string): Promise<void> {
    const deadline = Date.now() + SHUTDOWN_RETRY_MS;
    for (;;) {
      const response = await this.request('DELETE', `/api/kernels/${encodeURIComponent(id)}`);
      if (response.ok || response.status === 404) {
        return;
      }
      if (response.status < 500 || Date.now() > deadline) {
        throw new GatewayUnreachableError(`DELETE kernel ${id}: ${response.status} ${response.statusText}`);
      }
      await new Promise(resolve => setTimeout(resolve, 250));
    }
  }

  private async request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { Authorization: `token ${this.token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal
      });
    } catch (error) {
      if (signal?.aborted) {
        throw error;
      }
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw new GatewayUnreachableError(
        `The kernel gateway at ${this.baseUrl} is unreachable (${method} ${path}${cause}); is it running?`
      );
    }
  }
}

async function safeText(response: Response): Promise<string> {
  try {
    return (await response.text()).slice(0, 500);
  } catch {
    return '';
  }
}
