/** Schemas of `/api/workers`, `/api/health`, `/api/events` and `/api/openapi.json`. */
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses, NullableNumberSchema, NullableStringSchema, QueueStateSchema, RunStatusSchema } from './common';
import { NameSchema } from './name';
import { originSchema } from './origin';
import { GroupDoneEventSchema, ProgressEventSchema } from './progress';
import { ReduceOfSchema, ReduceRowFieldSchema } from './reduce';

/** A live worker as reported by its heartbeats. */
export const WorkerSchema = Type.Object({
  hostname: Type.String({ examples: ['nbgrid@host'] }),
  labels: Type.Array(Type.String()),
  concurrency: Type.Integer(),
  active: Type.Integer(),
  processed: Type.Integer(),
  last_seen: Type.String({ description: 'ISO time of the last heartbeat.' }),
  paused: Type.Optional(Type.String({ description: 'Why the worker takes no tasks now (e.g. its Kernel Gateway is unreachable); absent while it does.' }))
});

export const workersSchema = {
  summary: 'Live workers with their labels',
  tags: ['workers'],
  response: { 200: Type.Object({ workers: Type.Array(WorkerSchema) }), ...errorResponses(401, 503) }
};

export const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  mongo: Type.String({ description: "'ok' or what is wrong." }),
  redis: Type.String({ description: "'ok' or what is wrong." }),
  version: Type.String(),
  message: Type.Optional(Type.String({ description: 'On 503: which part failed.' }))
});
export type IHealth = Static<typeof HealthSchema>;

export const healthSchema = {
  summary: 'Whether MongoDB and Redis are reachable (no token needed)',
  tags: ['system'],
  security: [],
  response: { 200: HealthSchema, 503: HealthSchema }
};

export const EventsQuerySchema = Type.Object(
  {
    job: Type.Optional(NameSchema),
    origin: Type.Optional(originSchema("Only the group-done events of maps started with this origin (no task or progress events): a JupyterLab's own done notifications."))
  },
  { additionalProperties: false }
);
export type IEventsQuery = Static<typeof EventsQuerySchema>;

/** A task state change: the `data` of an `event: task`, published on Redis by workers and the job service. */
export const TaskEventSchema = Type.Object({
  name: Type.String(),
  job: Type.String(),
  task_group: Type.String(),
  job_id: Type.Integer(),
  task_id: Type.String(),
  status: QueueStateSchema,
  run_status: RunStatusSchema,
  message: Type.String(),
  worker: NullableStringSchema,
  duration: NullableNumberSchema,
  reduce_of: Type.Optional(ReduceOfSchema),
  reduce_round: Type.Optional(ReduceRowFieldSchema)
});

export const eventsSchema = {
  summary: "Server-sent events: 'task' on every task state change, 'progress' of running tasks, 'group-done' when a map finishes",
  description:
    "text/event-stream. Each state change is `event: task` with a JSON `data` line shaped like TaskEvent; each progress update of a running task (a few a second at most) is `event: progress` shaped like ProgressEvent, and a new stream first gets the latest progress of every running task; a map whose every task is final is announced once as `event: group-done` shaped like GroupDoneEvent. A comment line every 15 s keeps the connection open. `?job=` keeps only that job's events.",
  tags: ['system'],
  querystring: EventsQuerySchema,
  response: {
    200: {
      description: 'A stream of `event: task`, `event: progress` and `event: group-done` messages whose data is one of these objects.',
      content: {
        'text/event-stream': {
          schema: Type.Union([TaskEventSchema, ProgressEventSchema, GroupDoneEventSchema], {
            description: 'TaskEvent (event: task), ProgressEvent (event: progress) or GroupDoneEvent (event: group-done).'
          })
        }
      }
    },
    ...errorResponses(400, 401)
  }
};

export const openapiSchema = {
  summary: 'This OpenAPI document',
  tags: ['system'],
  response: { 200: Type.Object({}, { additionalProperties: true }), ...errorResponses(401) }
};
