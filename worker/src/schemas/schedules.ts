/** Schemas of `/api/schedules`: maps run at each occurrence of a cron expression. */
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses, JsonValueSchema } from './common';
import { MapBodySchema } from './jobs';
import { NameSchema } from './name';

/** A schedule id, e.g. `5e0c9a12`. */
export const ScheduleIdSchema = Type.String({ pattern: '^[0-9a-f]{8}$', description: 'Schedule id as returned by create, e.g. 5e0c9a12.' });

export const ScheduleParamsSchema = Type.Object({ id: ScheduleIdSchema });
export type IScheduleParams = Static<typeof ScheduleParamsSchema>;

export const CatchupSchema = Type.Union([Type.Literal('none'), Type.Literal('latest')], {
  description: "An occurrence missed while no service ran: 'latest' runs it once when a service is back if it is less than one period late; 'none' skips it."
});

export const CreateScheduleBodySchema = Type.Object(
  {
    job: NameSchema,
    cron: Type.String({ description: "5 cron fields (minute hour day-of-month month day-of-week) or a shorthand such as '@daily'.", examples: ['0 2 * * *'] }),
    tz: Type.Optional(Type.String({ default: 'UTC', description: 'IANA time zone the cron fields are read in.', examples: ['Europe/Berlin'] })),
    map: MapBodySchema,
    catchup: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('latest')], { default: 'latest', description: CatchupSchema.description })),
    keep_last: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: "Groups of this schedule kept by the service's retention (the newest N); null keeps all." })
    ),
    paused: Type.Optional(Type.Boolean({ default: false }))
  },
  { additionalProperties: false, description: 'The map body is what POST /api/jobs/<job>/map takes; it is validated now and submitted at each occurrence.' }
);
export type ICreateScheduleBody = Static<typeof CreateScheduleBodySchema>;

/** One occurrence a schedule claimed. */
export const ScheduleRunSchema = Type.Object({
  occurrence: Type.String({ description: 'ISO time of the occurrence.' }),
  task_group: Type.String({ description: "The group the occurrence's map made (or makes)." }),
  state: Type.Union([Type.Literal('claimed'), Type.Literal('submitted'), Type.Literal('failed'), Type.Literal('skipped')], {
    description: "claimed: being submitted; submitted: the map was made; failed: it was refused (error says why); skipped: missed and catchup did not run it."
  }),
  trigger: Type.Union([Type.Literal('cron'), Type.Literal('manual')]),
  error: Type.Optional(Type.String())
});

export const ScheduleSchema = Type.Object({
  id: Type.String(),
  job: Type.String(),
  cron: Type.String(),
  tz: Type.String(),
  map: JsonValueSchema,
  catchup: CatchupSchema,
  keep_last: Type.Union([Type.Integer(), Type.Null()]),
  paused: Type.Boolean(),
  created: Type.String(),
  next_run: Type.Union([Type.String(), Type.Null()], { description: 'ISO time of the next occurrence; null while paused.' }),
  last_run: Type.Union([ScheduleRunSchema, Type.Null()]),
  runs: Type.Optional(Type.Array(ScheduleRunSchema, { description: 'The latest occurrences, newest first (GET of one schedule).' }))
});

export const ScheduleListQuerySchema = Type.Object({ job: Type.Optional(NameSchema) }, { additionalProperties: false });
export type IScheduleListQuery = Static<typeof ScheduleListQuerySchema>;

export const createScheduleSchema = {
  summary: 'Create a schedule: the same map at each occurrence of a cron expression',
  tags: ['schedules'],
  body: CreateScheduleBodySchema,
  response: { 201: ScheduleSchema, ...errorResponses(400, 401, 404, 503) }
};

export const listSchedulesSchema = {
  summary: 'List schedules',
  tags: ['schedules'],
  querystring: ScheduleListQuerySchema,
  response: { 200: Type.Object({ schedules: Type.Array(ScheduleSchema) }), ...errorResponses(400, 401, 503) }
};

export const getScheduleSchema = {
  summary: 'A schedule with its latest occurrences',
  tags: ['schedules'],
  params: ScheduleParamsSchema,
  response: { 200: ScheduleSchema, ...errorResponses(400, 401, 404, 503) }
};

export const pauseScheduleSchema = {
  summary: 'Pause a schedule: no occurrence runs until it is resumed',
  tags: ['schedules'],
  params: ScheduleParamsSchema,
  response: { 200: ScheduleSchema, ...errorResponses(400, 401, 404, 503) }
};

export const resumeScheduleSchema = {
  summary: 'Resume a paused schedule',
  tags: ['schedules'],
  params: ScheduleParamsSchema,
  response: { 200: ScheduleSchema, ...errorResponses(400, 401, 404, 503) }
};

export const deleteScheduleSchema = {
  summary: 'Delete a schedule (the groups it made stay)',
  tags: ['schedules'],
  params: ScheduleParamsSchema,
  response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses(400, 401, 404, 503) }
};

export const runScheduleSchema = {
  summary: "Run a schedule's map now, as a manual occurrence",
  tags: ['schedules'],
  params: ScheduleParamsSchema,
  response: { 201: ScheduleRunSchema, ...errorResponses(400, 401, 404, 503) }
};

export type ISchedule = Static<typeof ScheduleSchema>;
export type IScheduleRun = Static<typeof ScheduleRunSchema>;
