/**
 * `/api/events`: task state changes (`event: task`), running tasks' progress (`event: progress`:
 * first the latest of every running task, then each update) and finished maps (`event: group-done`)
 * as server-sent events.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceUnavailableError } from '../../domain/errors';
import { eventsSchema, type IEventsQuery } from '../../schemas';
import type { IAppDeps } from '../app-deps';
import { formatTaskEvent, TaskEventBatcher } from '../task-event-batcher';
import { formatGroupDoneEvent, formatProgressEvent } from '../progress-event-text';
import type { IProgressEvent } from '../../schemas/progress';

/** Default of `IAppDeps.heartbeatMs`: proxies drop connections silent for longer. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** Unsent bytes after which a stream is closed. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export { formatTaskEvent };

export function registerEventRoutes(app: FastifyInstance, deps: IAppDeps): void {
  const open = new Set<() => void>();
  const batcher = new TaskEventBatcher();
  // Open streams would keep close() waiting forever.
  app.addHook('preClose', async () => {
    for (const stop of [...open]) {
      stop();
    }
  });

  app.get<{ Querystring: IEventsQuery }>(
    '/api/events',
    { schema: eventsSchema },
    (request: FastifyRequest<{ Querystring: IEventsQuery }>, reply: FastifyReply) => {
      const res = reply.raw;
      let stopped = false;
      // Chunks come from the batcher after this handler returned, so the headers are out by then.
      const { listener, detach } = batcher.attach({
        job: request.query.job,
        write: (chunk: Buffer) => send(chunk)
      });
      function send(chunk: Buffer): void {
        if (stopped || res.writableEnded) {
          return;
        }
        res.write(chunk);
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          // A client that stopped reading must not grow our memory nor hold up the others;
          // EventSource reconnects.
          request.log.warn('event stream client is not reading; closing its stream');
          stop(true);
        }
      }
      // Subscribe before taking over the reply so a failing subscription gets a normal error answer.
      // ?origin=: a JupyterLab's own done notifications only, no task events (see relayOriginDone).
      const origin = request.query.origin;
      let unsubscribe: () => void;
      try {
        unsubscribe = origin !== undefined ? () => undefined : deps.subscribeEvents(listener);
      } catch (error: unknown) {
        detach();
        throw new ServiceUnavailableError('cannot subscribe to task events (Redis): retry later', { cause: error, part: 'redis' });
      }

      reply.hijack();
      // Headers set by hooks (CORS) would be lost by hijack() otherwise.
      const headers: OutgoingHttpHeaders = {};
      for (const [key, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) {
          headers[key] = typeof value === 'number' ? String(value) : value;
        }
      }
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no'
      });
      const heartbeat = setInterval(() => {
        if (!res.writableEnded) {
          res.write(': heartbeat\n\n');
        }
      }, deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
      res.write(': connected\nretry: 3000\n\n');
      const unsubscribeProgress = !deps.progress
        ? (): void => undefined
        : origin !== undefined
          ? relayOriginDone(deps.progress, origin, request.query.job, send)
          : relayProgress(deps.progress, request.query.job, send);

      /** Ends the stream; `drop` discards what is unsent instead of waiting for a client that does not read. */
      function stop(drop = false): void {
        if (stopped) {
          return;
        }
        stopped = true;
        open.delete(stop);
        clearInterval(heartbeat);
        detach();
        try {
          unsubscribeProgress();
          unsubscribe();
        } catch (error: unknown) {
          request.log.warn({ err: error }, 'unsubscribing from task events failed');
        }
        if (drop) {
          res.destroy();
        } else if (!res.writableEnded) {
          res.end();
        }
      }
      open.add(stop);
      res.on('close', () => stop());
      res.on('error', () => stop());
    }
  );
}

/**
 * Sends progress to one stream: the latest of every running task first, then updates. Updates
 * that arrive while the snapshot is read wait for it, and those older than it are left out.
 */
function relayProgress(progress: NonNullable<IAppDeps['progress']>, job: string | undefined, send: (chunk: Buffer) => void): () => void {
  let backlog: IProgressEvent[] | null = [];
  const unsubscribeProgress = progress.subscribeProgress((event) => {
    if (job !== undefined && event.job !== job) return;
    if (backlog) backlog.push(event);
    else send(formatProgressEvent(event));
  });
  const unsubscribeDone = progress.subscribeDone((event) => {
    if (job === undefined || event.job === job) send(formatGroupDoneEvent(event));
  });
  const flush = (snapshot: IProgressEvent[]): void => {
    const seen = new Map<string, number>();
    for (const event of snapshot) {
      seen.set(`${event.task_id}`, event.seq);
      send(formatProgressEvent(event));
    }
    const waiting = backlog ?? [];
    backlog = null;
    for (const event of waiting) {
      if (event.seq > (seen.get(event.task_id) ?? 0)) send(formatProgressEvent(event));
    }
  };
  progress.running(job).then(flush, () => flush([]));
  return () => {
    unsubscribeProgress();
    unsubscribeDone();
  };
}

/**
 * Sends one stream the group-done events of the maps started with `origin` (of one job, or all):
 * what a JupyterLab needs to announce the maps its kernels started. The origin only selects
 * events; it is not a credential (the stream needs the token like any other).
 */
function relayOriginDone(progress: NonNullable<IAppDeps['progress']>, origin: string, job: string | undefined, send: (chunk: Buffer) => void): () => void {
  return progress.subscribeDone((event) => {
    if (event.origin === origin && (job === undefined || event.job === job)) send(formatGroupDoneEvent(event));
  });
}
