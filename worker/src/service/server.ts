/** Listens with an app from `buildApp()` and closes it gracefully on SIGTERM/SIGINT. */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

export interface IStartServerOptions {
  app: FastifyInstance;
  /**
   * Interface to bind.
   * @defaultValue '127.0.0.1'
   */
  host?: string;
  /** Port; 0 picks a free one. */
  port: number;
  /**
   * Signals that close the server.
   * @defaultValue ['SIGTERM', 'SIGINT']
   */
  signals?: NodeJS.Signals[];
  /** Called once after a signal-triggered close (e.g. to close Redis/MongoDB clients). */
  onSignalClose?: (signal: NodeJS.Signals) => void | Promise<void>;
}

export interface IRunningServer {
  /** `http://host:port` */
  url: string;
  port: number;
  /** Stops accepting connections, ends event streams, waits for in-flight requests. Idempotent. */
  close(): Promise<void>;
}

export async function startServer(options: IStartServerOptions): Promise<IRunningServer> {
  const { app, host = '127.0.0.1', port, signals = ['SIGTERM', 'SIGINT'] } = options;
  await app.listen({ host, port });
  const bound = (app.server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    if (closing === null) {
      for (const signal of signals) {
        process.removeListener(signal, onSignal);
      }
      closing = app.close().then(() => undefined);
    }
    return closing;
  };
  function onSignal(signal: NodeJS.Signals): void {
    app.log.info({ signal }, 'closing the API service');
    close()
      .then(() => options.onSignalClose?.(signal))
      .catch((error: unknown) => {
        app.log.error({ err: error }, 'closing the API service failed');
        process.exitCode = 1;
      });
  }
  for (const signal of signals) {
    process.once(signal, onSignal);
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shownHost}:${bound}`, port: bound, close };
}
