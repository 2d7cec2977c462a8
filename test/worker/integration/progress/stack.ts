/** The real stack for the progress tests: Redis, FerretDB, a Kernel Gateway, API services and a worker node in process. */
import * as http from 'node:http';
import { composeApiService, composeWorkerNode, type IApiService, type IWorkerNode } from '../../../../worker/src/compose';
import { loadConfig, type INbgridConfig } from '../../../../worker/src/config';
import type { IAnnounceOutboxOptions } from '../../../../worker/src/progress/announce-outbox';
import { startServer, type IRunningServer } from '../../../../worker/src/service';
import { TestApi } from '../../support/api';
import { startTestRedis, type ITestRedis } from '../celery/support/redis-server';
import { startTestGateway } from '../executor/gateway';
import { startFerretDb } from '../storage/ferretdb';

export const TOKEN = 'progress-test-token-0123456789';
const quiet = (): void => undefined;

export interface IServiceUnderTest {
  service: IApiService;
  server: IRunningServer;
  api: TestApi;
  close(): Promise<void>;
}

export interface IProgressStack {
  redis: ITestRedis;
  config: INbgridConfig;
  node: IWorkerNode;
  /** Another API service on the same Redis and MongoDB (webhook retries 200 ms apart). */
  startService(announce?: IAnnounceOutboxOptions): Promise<IServiceUnderTest>;
  stop(): Promise<void>;
}

export async function startProgressStack(db: string): Promise<IProgressStack> {
  const [redis, mongo, gateway] = await Promise.all([startTestRedis(), startFerretDb(), startTestGateway()]);
  const config = loadConfig({
    NBGRID_REDIS_URL: redis.url,
    NBGRID_MONGO_URL: mongo.url,
    NBGRID_DB: db,
    NBGRID_TOKEN: TOKEN,
    NBGRID_GATEWAY_URL: gateway.url,
    NBGRID_GATEWAY_TOKEN: gateway.token,
    NBGRID_LOG_LEVEL: 'silent',
    NBGRID_VISIBILITY_TIMEOUT: '60'
  });
  const services: IServiceUnderTest[] = [];
  const startService = async (announce?: IAnnounceOutboxOptions): Promise<IServiceUnderTest> => {
    const service = await composeApiService(config, { log: quiet, webhook: { backoffMs: 200, timeoutMs: 5000 }, announce });
    const server = await startServer({ app: service.app, port: 0, signals: [] });
    let closed: Promise<void> | null = null;
    const s = {
      service,
      server,
      api: new TestApi({ api_url: server.url, token: TOKEN }),
      // Closing the service closes its app, and with it the listening server.
      close: () => (closed ??= service.close())
    };
    services.push(s);
    return s;
  };
  const node = await composeWorkerNode(config, { hostname: 'progress@test', concurrency: 2, poolSize: 1, log: quiet });
  return {
    redis,
    config,
    node,
    startService,
    stop: async () => {
      await node.close();
      for (const s of services) await s.close();
      await Promise.all([redis.stop(), mongo.stop(), gateway.stop()]);
    }
  };
}

/** A local webhook receiver: answers the given statuses in turn (then 200), records each request. */
export interface IWebhookServer {
  url: string;
  requests: { headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

export async function startWebhookServer(statuses: number[] = [], onRequest?: (index: number) => void): Promise<IWebhookServer> {
  const requests: IWebhookServer['requests'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body });
      onRequest?.(requests.length - 1);
      res.statusCode = statuses[requests.length - 1] ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve()))
  };
}

export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
