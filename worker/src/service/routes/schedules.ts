/** `/api/schedules`: create, list, get, pause, resume, delete and run now. */
import type { FastifyInstance } from 'fastify';
import { jsonMemberText } from '../../domain/json-spans';
import type { IScheduleService } from '../../domain/schedule-service';
import {
  assertValidName,
  createScheduleSchema,
  deleteScheduleSchema,
  getScheduleSchema,
  listSchedulesSchema,
  pauseScheduleSchema,
  resumeScheduleSchema,
  runScheduleSchema,
  type ICreateScheduleBody,
  type IScheduleListQuery,
  type IScheduleParams
} from '../../schemas';
import { bodySource } from '../json-body';

export function registerScheduleRoutes(app: FastifyInstance, schedules: IScheduleService): void {
  app.post<{ Body: ICreateScheduleBody }>('/api/schedules', { schema: createScheduleSchema }, async (request, reply) => {
    const body = request.body;
    const job = assertValidName(body.job, 'job name');
    const map = body.map;
    const source = bodySource(body);
    const text = (source !== undefined ? jsonMemberText(source, 'map') : undefined) ?? JSON.stringify(map);
    const created = await schedules.create({
      job,
      cron: body.cron,
      tz: body.tz,
      body: text,
      catchup: body.catchup,
      keep_last: body.keep_last,
      paused: body.paused
    });
    return reply.code(201).send(created);
  });

  app.get<{ Querystring: IScheduleListQuery }>('/api/schedules', { schema: listSchedulesSchema }, async (request) => ({
    schedules: await schedules.list(request.query.job)
  }));

  app.get<{ Params: IScheduleParams }>('/api/schedules/:id', { schema: getScheduleSchema }, async (request) => schedules.get(request.params.id));

  app.post<{ Params: IScheduleParams }>('/api/schedules/:id/pause', { schema: pauseScheduleSchema }, async (request) =>
    schedules.setPaused(request.params.id, true)
  );

  app.post<{ Params: IScheduleParams }>('/api/schedules/:id/resume', { schema: resumeScheduleSchema }, async (request) =>
    schedules.setPaused(request.params.id, false)
  );

  app.delete<{ Params: IScheduleParams }>('/api/schedules/:id', { schema: deleteScheduleSchema }, async (request, reply) => {
    await schedules.delete(request.params.id);
    return reply.code(204).send();
  });

  app.post<{ Params: IScheduleParams }>('/api/schedules/:id/run', { schema: runScheduleSchema }, async (request, reply) =>
    reply.code(201).send(await schedules.runNow(request.params.id))
  );
}
