/** Schemas of `/api/jobs/<name>/...`. */
import { Type, type Static } from '@sinclair/typebox';
import {
  errorResponses,
  JsonValueSchema,
  LabelSchema,
  TaskGroupOrAllSchema,
  TaskGroupSchema
} from './common';
import { NameSchema } from './name';

/** Most parameters one map may expand to. */
export const MAX_MAP_PARAMS = 100_000;

const SafeInteger = Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });

const QueueStateSchema = Type.Union(
  ['PENDING', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED'].map((s) => Type.Literal(s))
);
const RunStatusSchema = Type.Union(['OK', 'ERROR', 'unknown'].map((s) => Type.Literal(s)));
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);
const TaskRefSchema = Type.Object({ name: Type.String(), task_id: Type.String() });

/** `<name>` of `/api/jobs/<name>/...`, percent-encoded when it contains `/`. */
export const JobParamsSchema = Type.Object({ name: NameSchema });
export type IJobParams = Static<typeof JobParamsSchema>;

export const RangeSchema = Type.Object(
  {
    start: Type.Optional({ ...SafeInteger, default: 0 }),
    stop: SafeInteger,
    step: Type.Optional({ ...SafeInteger, default: 1 })
  },
  { additionalProperties: false, description: "Like Python's range(start, stop, step); expanded server-side." }
);
export type IRange = Static<typeof RangeSchema>;

export const MapBodySchema = Type.Object(
  {
    params: Type.Optional(
      Type.Array(JsonValueSchema, { maxItems: MAX_MAP_PARAMS, description: 'One JSON value per task.' })
    ),
    range: Type.Optional(RangeSchema),
    require: Type.Optional(LabelSchema),
    cell_timeout: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: 'Per-cell timeout in seconds.' })
    )
  },
  { additionalProperties: false, description: 'Give either params or range, not both.' }
);
export type IMapBody = Static<typeof MapBodySchema>;

export const MapResponseSchema = Type.Object({
  task_group: Type.String(),
  job: Type.String(),
  count: Type.Integer(),
  require: Type.String(),
  tasks: Type.Array(TaskRefSchema),
  warnings: Type.Array(Type.String())
});

export const GroupQuerySchema = Type.Object(
  { task_group: Type.Optional(TaskGroupOrAllSchema) },
  { additionalProperties: false }
);
export type IGroupQuery = Static<typeof GroupQuerySchema>;

export const ResultsQuerySchema = Type.Object(
  { task_group: Type.Optional(TaskGroupSchema) },
  { additionalProperties: false }
);
export type IResultsQuery = Static<typeof ResultsQuerySchema>;

export const StatusRowSchema = Type.Object({
  name: Type.String(),
  task_id: Type.String(),
  status: QueueStateSchema,
  run_status: RunStatusSchema,
  task_group: Type.String(),
  job_id: Type.Integer(),
  duration: NullableNumber,
  worker: NullableString,
  message: Type.String(),
  results: NullableString
});

export const JobRunSchema = Type.Object({
  status: Type.Union([Type.Literal('OK'), Type.Literal('ERROR')]),
  ts: Type.String(),
  message: Type.String(),
  results: NullableString,
  duration: Type.Number(),
  worker: Type.String(),
  attempt: Type.Integer(),
  task_id: Type.String()
});

export const TaskSchema = Type.Object({
  name: Type.String(),
  job: Type.String(),
  task_group: Type.String(),
  job_id: Type.Integer(),
  param: JsonValueSchema,
  main_sha256: Type.String(),
  task_id: Type.String(),
  state: QueueStateSchema,
  run_status: RunStatusSchema,
  require: Type.String(),
  cell_timeout: NullableNumber,
  job_runs: Type.Array(JobRunSchema),
  result: Type.Optional(JsonValueSchema),
  created: Type.String(),
  updated: Type.String()
});

export const RestartBodySchema = Type.Object(
  {
    task_group: Type.Optional(TaskGroupSchema),
    reset: Type.Optional(Type.Boolean({ description: 'Re-run every task, not only those without an OK run.' })),
    refresh: Type.Optional(Type.Boolean({ description: 'Re-render task notebooks from the current main notebook.' }))
  },
  { additionalProperties: false }
);
export type IRestartBody = Static<typeof RestartBodySchema>;

export const CancelBodySchema = Type.Object(
  { task_group: Type.Optional(TaskGroupSchema) },
  { additionalProperties: false }
);
export type ICancelBody = Static<typeof CancelBodySchema>;

export const mapSchema = {
  summary: 'Map a notebook over parameters: one task per parameter',
  tags: ['jobs'],
  params: JobParamsSchema,
  body: MapBodySchema,
  response: { 201: MapResponseSchema, ...errorResponses(400, 401, 404, 413, 503) }
};

export const statusSchema = {
  summary: 'One row per task: queue state and run status',
  tags: ['jobs'],
  params: JobParamsSchema,
  querystring: GroupQuerySchema,
  response: { 200: Type.Object({ rows: Type.Array(StatusRowSchema) }), ...errorResponses(400, 401, 404, 503) }
};

export const tasksSchema = {
  summary: 'The tasks with parameter, run history and result',
  tags: ['jobs'],
  params: JobParamsSchema,
  querystring: GroupQuerySchema,
  response: { 200: Type.Object({ tasks: Type.Array(TaskSchema) }), ...errorResponses(400, 401, 404, 503) }
};

export const restartSchema = {
  summary: 'Re-run tasks that have no OK run (all with reset)',
  tags: ['jobs'],
  params: JobParamsSchema,
  body: RestartBodySchema,
  response: {
    200: Type.Object({ task_group: Type.String(), restarted: Type.Array(TaskRefSchema) }),
    ...errorResponses(400, 401, 404, 503)
  }
};

export const cancelSchema = {
  summary: 'Revoke queued tasks and interrupt running ones',
  tags: ['jobs'],
  params: JobParamsSchema,
  body: CancelBodySchema,
  response: {
    200: Type.Object({ task_group: Type.String(), revoked: Type.Integer() }),
    ...errorResponses(400, 401, 404, 503)
  }
};

export const resultsSchema = {
  summary: 'Returned values in parameter order',
  tags: ['jobs'],
  params: JobParamsSchema,
  querystring: ResultsQuerySchema,
  response: {
    200: Type.Object({
      task_group: Type.String(),
      results: Type.Array(JsonValueSchema),
      missing: Type.Array(Type.Integer())
    }),
    ...errorResponses(400, 401, 404, 503)
  }
};

export const GroupSchema = Type.Object({
  task_group: Type.String(),
  job: Type.String(),
  count: Type.Integer(),
  require: Type.String(),
  created: Type.String(),
  states: Type.Record(Type.String(), Type.Integer())
});

export const groupsSchema = {
  summary: 'Task groups of a job, newest first',
  tags: ['jobs'],
  params: JobParamsSchema,
  response: { 200: Type.Object({ groups: Type.Array(GroupSchema) }), ...errorResponses(400, 401, 404, 503) }
};
