import { Command } from 'commander';
import Redis from 'ioredis';
import { CeleryProducer, TaskEventBus, WorkerRegistry } from '../../celery';
import { loadConfig } from '../../config';
import { JobService } from '../../jobs/job-service';
import { EventFanout } from '../../runtime/event-fanout';
import { TaskReconciler } from '../../runtime/task-reconciler';
import { RedisQueueInspector } from '../../queue/queue-inspector';
import { buildApp, startServer } from '../../service';
import { NbgridStore } from '../../storage/nbgrid-store';
import { StatusIndex } from '../../storage/status-index';
import { waitFor } from '../../stack/wait-for';
import { CliError } from '../api-client';
import { DEFAULT_QUEUE } from '../../domain/types';

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the nbgrid API service (configuration from NBGRID_* variables, see README)')
    .option('--host <host>', 'interface to bind (default NBGRID_HOST or 127.0.0.1)')
    .option('--port <port>', 'port (default NBGRID_PORT or 8765)', Number)
    .action(async (opts: { host?: string; port?: number }) => {
      const config = loadConfig();
      if (!config.token) throw new CliError('NBGRID_TOKEN is not set: the API refuses to run without a token');
      const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3, enableOfflineQueue: true });
      redis.on('error', () => undefined); // ioredis reconnects; health reports the outage
      // MongoDB may still be starting (or restarting): wait for it rather than exit.
      const store = await waitFor('MongoDB', () => NbgridStore.open(config.mongoUrl, { dbName: config.database, statusIndex: new StatusIndex(redis), log: (line) => process.stderr.write(`${line}\n`) }), {
        timeoutMs: 120000,
        intervalMs: 1000
      });
      const producer = new CeleryProducer(redis, { defaultQueue: DEFAULT_QUEUE });
      const registry = new WorkerRegistry(redis);
      await registry.start();
      const bus = new TaskEventBus(redis);
      const fanout = new EventFanout();
      const unsubscribe = await bus.subscribe(fanout.dispatch);
      const jobs = new JobService({
        store,
        publisher: producer,
        liveWorkers: async () => registry.list(),
        emit: (e) => void bus.publish(e).catch(() => undefined),
        log: (line) => process.stderr.write(`${line}\n`)
      });
      // ---- lifecycle (issue 14): repair tasks stuck PENDING/STARTED whose message is gone ----
      const reconciler = new TaskReconciler({
        store: store.stuck,
        queue: new RedisQueueInspector(redis),
        liveWorkers: async () => registry.list(),
        emit: (e) => bus.publish(e),
        log: (line) => process.stderr.write(`${line}\n`)
      });
      reconciler.start();
      // ---- end lifecycle ----
      const app = buildApp({
        jobs,
        workers: async () => registry.list(),
        health: async () => ({
          mongo: await store.ping().then(() => 'ok', errorText),
          redis: await redis.ping().then(() => 'ok', errorText)
        }),
        subscribeEvents: (listener) => fanout.subscribe(listener),
        token: config.token,
        corsOrigins: config.corsOrigins,
        logger: { level: process.env.NBGRID_LOG_LEVEL ?? 'info' },
        version: require('../../../package.json').version as string
      });
      const server = await startServer({
        app,
        host: opts.host ?? config.host,
        port: opts.port ?? config.port,
        onSignalClose: async () => {
          await reconciler.close();
          await jobs.settled();
          await unsubscribe();
          await registry.close();
          await store.close();
          redis.disconnect();
        }
      });
      process.stdout.write(`nbgrid API service listening on ${server.url}\n`);
    });
}
