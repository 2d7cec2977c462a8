/**
 * One kernel on a Kernel Gateway, reached through @jupyterlab/services' KernelConnection: start,
 * execute with a time limit and an AbortSignal, notice death (the gateway's auto-restart, a `dead`
 * status, or the kernel vanishing from `/api/kernels`), interrupt, shut down.
 */
import { KernelConnection, KernelMessage, ServerConnection } from '@jupyterlab/services';
import WebSocket from 'ws';
import { DeadKernelError } from './errors/dead-kernel-error';
import { ExecutionAbortedError } from './errors/execution-aborted-error';
import { GatewayUnreachableError } from './errors/gateway-unreachable-error';
import { KernelStartTimeoutError } from './errors/kernel-start-timeout-error';
import type { NotebookExecutionError } from './errors/notebook-execution-error';
import type { GatewayClient, IKernelModel } from './gateway-client';
import type { IKernelMessage } from './kernel-message';

/**
 * Why a kernel died when the gateway answers but no longer has it: the gateway restarted (its
 * kernels went with it) or someone shut the kernel down; never the notebook's own doing.
 */
export const KERNEL_VANISHED = 'the gateway no longer has the kernel';
import { race } from './race';

/**
 * Milliseconds between checks that the kernel still exists while a cell runs.
 * @defaultValue 2000
 */
export const ALIVE_POLL_MS = 2000;

/**
 * Milliseconds to wait for the idle status after the execute reply (nbclient's `iopub_timeout`).
 * @defaultValue 4000
 */
export const IOPUB_GRACE_MS = 4000;

/**
 * Consecutive failed liveness checks after which the gateway counts as lost.
 * @defaultValue 3
 */
export const GATEWAY_LOST_POLLS = 3;

export interface IExecuteHandlers {
  onIOPub(msg: IKernelMessage): void;
  onReply(msg: IKernelMessage): void;
}

export interface IExecuteGuards {
  /** Milliseconds to wait for the reply; no limit when undefined. */
  ms?: number;
  onTimeout?: () => Error;
  signal?: AbortSignal;
  /** Cell reported in errors. */
  cellIndex: number;
}

export class KernelSession {
  private connection: KernelConnection | null = null;
  /** Settles when the kernel is lost: with the error to report for a given cell. */
  private death: Promise<(cellIndex: number) => NotebookExecutionError>;
  private reportLoss: (error: (cellIndex: number) => NotebookExecutionError) => void = () => undefined;
  private failedPolls = 0;
  private stopped: Promise<void> | null = null;
  private lost = false;

  private constructor(
    private readonly client: GatewayClient,
    readonly model: IKernelModel
  ) {
    this.death = new Promise(resolve => {
      this.reportLoss = error => {
        this.lost = true;
        resolve(error);
      };
    });
  }

  /** True once the kernel was reported lost (died, restarted, or its connection gave up). */
  get isLost(): boolean {
    return this.lost || this.stopped !== null;
  }

  /** Resolves when the kernel is lost; a kernel pool uses it to replace idle kernels that died. */
  whenLost(): Promise<void> {
    return this.death.then(() => undefined);
  }

  /**
   * Starts a kernel and waits for its `kernel_info` reply. Whatever fails, a kernel that was started
   * is shut down before this rejects (also one whose start request answers after the time limit).
   * A kernel lost while it starts (the gateway stopped, or restarted without it) rejects at the next
   * liveness check, not at the time limit.
   */
  static async start(
    client: GatewayClient,
    kernelName: string,
    options: { startTimeout: number; signal?: AbortSignal; env?: Record<string, string> }
  ): Promise<{ session: KernelSession; info: KernelMessage.IInfoReply }> {
    const deadline = Date.now() + options.startTimeout * 1000;
    const guards = {
      signal: options.signal,
      onAbort: (reason: unknown) => new ExecutionAbortedError(reason),
      onTimeout: () => new KernelStartTimeoutError(kernelName, options.startTimeout)
    };
    const starting = client.startKernel(kernelName, undefined, options.env);
    let model: IKernelModel;
    try {
      model = await race(starting, { ...guards, ms: options.startTimeout * 1000 });
    } catch (error) {
      // The gateway may still create the kernel after we gave up: shut it down when it does.
      starting.then(late => client.shutdownKernel(late.id)).catch(() => undefined);
      throw error;
    }
    const session = new KernelSession(client, model);
    // The connection retries for minutes when the gateway goes away; the liveness poll notices a
    // gateway that is down, or restarted without this kernel, within a few seconds instead.
    const poll = setInterval(() => void session.checkAlive(), ALIVE_POLL_MS);
    try {
      const info = await race(session.connect(), {
        ...guards,
        ms: Math.max(0, deadline - Date.now()),
        failure: session.death.then(error => error(-1))
      });
      return { session, info };
    } catch (error) {
      await session.shutdown();
      throw error;
    } finally {
      clearInterval(poll);
    }
  }

  /**
   * Sends an execute request; resolves with the reply once the kernel is idle again (or, like
   * nbclient, `IOPUB_GRACE_MS` after the reply when the idle status does not come).
   *
   * IOPub messages are taken from the connection, not from the request's future: the connection
   * reroutes `update_display_data` to the future that first showed the display, while nbclient
   * (and so this executor) handles every message whose parent is the running request.
   */
  async execute(
    content: KernelMessage.IExecuteRequestMsg['content'],
    handlers: IExecuteHandlers,
    guards: IExecuteGuards
  ): Promise<KernelMessage.IExecuteReplyMsg> {
    const connection = this.connection!;
    const future = connection.requestExecute(content, true);
    const msgId = future.msg.header.msg_id;
    let reply: KernelMessage.IExecuteReplyMsg | null = null;
    let idle = false;
    let grace: NodeJS.Timeout | undefined;
    let complete: (reply: KernelMessage.IExecuteReplyMsg) => void = () => undefined;
    const completed = new Promise<KernelMessage.IExecuteReplyMsg>(resolve => {
      complete = resolve;
    });
    const onIOPub = (_: unknown, msg: KernelMessage.IIOPubMessage) => {
      if (msg.parent_header && (msg.parent_header as { msg_id?: string }).msg_id === msgId) {
        handlers.onIOPub(msg as unknown as IKernelMessage);
        if (msg.header.msg_type === 'status' && (msg.content as { execution_state?: string }).execution_state === 'idle') {
          idle = true;
          if (reply) {
            complete(reply);
          }
        }
      }
    };
    connection.iopubMessage.connect(onIOPub);
    future.onReply = msg => {
      reply = msg;
      handlers.onReply(msg as unknown as IKernelMessage);
      if (idle) {
        complete(msg);
      } else {
        grace = setTimeout(() => complete(msg), IOPUB_GRACE_MS);
      }
    };
    // The connection disposes the future when the gateway restarts the kernel.
    const cancelled = future.done.then(
      () => new Promise<Error>(() => undefined),
      () => new DeadKernelError('the kernel restarted', guards.cellIndex)
    );
    const died = this.death.then(error => error(guards.cellIndex));
    const poll = setInterval(() => void this.checkAlive(), ALIVE_POLL_MS);
    try {
      return await race(completed, {
        ms: guards.ms,
        onTimeout: guards.onTimeout,
        signal: guards.signal,
        onAbort: reason => new ExecutionAbortedError(reason, guards.cellIndex),
        failure: Promise.race([died, cancelled])
      });
    } finally {
      clearInterval(poll);
      clearTimeout(grace);
      if (!connection.isDisposed) {
        connection.iopubMessage.disconnect(onIOPub);
      }
    }
  }

  /** Interrupts the running cell; errors are ignored (the kernel may be gone already). */
  async interrupt(): Promise<void> {
    await this.client.interruptKernel(this.model.id).catch(() => undefined);
  }

  /** Closes the connection and shuts the kernel down; idempotent, never rejects. */
  shutdown(): Promise<void> {
    this.stopped ??= (async () => {
      if (this.connection && !this.connection.isDisposed) {
        this.connection.dispose();
      }
      await this.client.shutdownKernel(this.model.id).catch(() => undefined);
    })();
    return this.stopped;
  }

  private connect(): Promise<KernelMessage.IInfoReply> {
    const baseUrl = this.client.baseUrl;
    const token = this.client.token;
    // The token goes in a header, as for REST calls, not in the URL where access logs would keep it.
    class AuthorizedWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: { Authorization: `token ${token}` } });
      }
    }
    const serverSettings = ServerConnection.makeSettings({
      baseUrl,
      wsUrl: baseUrl.replace(/^http/, 'ws'),
      token,
      appendToken: false,
      WebSocket: AuthorizedWebSocket as unknown as typeof globalThis.WebSocket
    });
    const connection = new KernelConnection({ model: this.model, serverSettings, handleComms: false });
    this.connection = connection;
    // After an auto-restart the connection reconnects in a promise nobody awaits; disposing it
    // meanwhile rejects that promise, and an unhandled rejection would end the worker process.
    const reconnect = connection.reconnect.bind(connection);
    connection.reconnect = () => reconnect().catch(() => undefined);
    connection.statusChanged.connect((_, status) => {
      if (status === 'autorestarting' || status === 'restarting' || status === 'dead') {
        this.reportDeath(`kernel status '${status}'`);
      }
    });
    connection.connectionStatusChanged.connect((_, status) => {
      if (status === 'disconnected' && !this.stopped) {
        void this.diagnoseDisconnect();
      }
    });
    return connection.info;
  }

  private reportDeath(detail: string): void {
    this.reportLoss(cellIndex => new DeadKernelError(detail, cellIndex));
  }

  /** The connection gave up: the kernel is gone if the gateway says so, else the gateway is lost. */
  private async diagnoseDisconnect(): Promise<void> {
    try {
      const model = await this.client.getKernel(this.model.id);
      if (!model || model.execution_state === 'dead') {
        this.reportDeath('the gateway closed the connection to the dead kernel');
        return;
      }
    } catch {
      // Not answering either: the gateway is lost.
    }
    this.reportLoss(cellIndex =>
      Object.assign(new GatewayUnreachableError(`Lost the connection to the kernel gateway at ${this.client.baseUrl}`), { cellIndex })
    );
  }

  /** Like nbclient's liveness poll; also notices a gateway that stopped answering. */
  private async checkAlive(): Promise<void> {
    try {
      const model = await this.client.getKernel(this.model.id);
      this.failedPolls = 0;
      if (!model) {
        this.reportDeath(KERNEL_VANISHED);
      } else if (model.execution_state === 'dead') {
        this.reportDeath("kernel status 'dead'");
      }
    } catch (error) {
      this.failedPolls += 1;
      if (this.failedPolls >= GATEWAY_LOST_POLLS) {
        const message = error instanceof Error ? error.message : String(error);
        this.reportLoss(cellIndex => Object.assign(new GatewayUnreachableError(message), { cellIndex }));
      }
    }
  }
}
