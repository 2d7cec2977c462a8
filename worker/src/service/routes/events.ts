/** `/api/events`: task state changes as server-sent events. */
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceUnavailableError } from '../../domain/errors';
import type { ITaskEvent } from '../../domain/ports';
import { eventsSchema, type IEventsQuery } from '../../schemas';
import type { IAppDeps } from '../app-deps';

/** Default of `IAppDeps.heartbeatMs`: proxies drop connections silent for longer. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** Unsent bytes after which a stream is closed. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** One `event: task` message; JSON has no raw newlines, so one data line suffices. */
export function formatTaskEvent(event: ITaskEvent): string {
  return `event: task\ndata: ${JSON.stringify(event)}\n\n`;
}

export function registerEventRoutes(app: FastifyInstance, deps: IAppDeps): void {
  const open = new Set<() => void>();
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
      const job = request.query.job;
      const res = reply.raw;
      let started = false;
      let stopped = false;
      const early: ITaskEvent[] = [];
      const send = (event: ITaskEvent): void => {
        if (job !== undefined && event.job !== job) {
          return;
        }
        if (!started) {
          early.push(event);
          return;
        }
        if (res.writableEnded) {
          return;
        }
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          // A client that stopped reading must not grow our memory; EventSource reconnects.
          request.log.warn('event stream client is not reading; closing its stream');
          stop();
          return;
        }
        res.write(formatTaskEvent(event));
      };
      // Subscribe before taking over the reply so a failing subscription gets a normal error answer.
      let unsubscribe: () => void;
      try {
        unsubscribe = deps.subscribeEvents(send);
      } catch (error: unknown) {
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
      // Created before `started`: stop(), reachable from send() from then on, clears it.
      const heartbeat = setInterval(() => {
        if (!res.writableEnded) {
          res.write(': heartbeat\n\n');
        }
      }, deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
      res.write(': connected\nretry: 3000\n\n');
      started = true;
      for (const event of early.splice(0)) {
        send(event);
      }

      function stop(): void {
        if (stopped) {
          return;
        }
        stopped = true;
        open.delete(stop);
        clearInterval(heartbeat);
        try {
          unsubscribe();
        } catch (error: unknown) {
          request.log.warn({ err: error }, 'unsubscribing from task events failed');
        }
        if (!res.writableEnded) {
          res.end();
        }
      }
      open.add(stop);
      res.on('close', stop);
      res.on('error', stop);
    }
  );
}
