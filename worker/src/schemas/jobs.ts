/** Schemas of `/api/jobs/<name>/...`. */
import { Type, type Static } from '@sinclair/typebox';
import {
  errorResponses,
  jsonValue,
  JsonValueSchema,
  LabelSchema,
  NullableNumberSchema,
  NullableStringSchema,
  QueueStateSchema,
  RunStatusSchema,
  TaskGroupOrAllSchema,
  TaskGroupSchema
} from './common';
import { NameSchema } from './name';
import { NotifySchema, ProgressSummarySchema } from './progress';
import { TaskSelectionSchema, WithResultsSchema } from './task-selection';
import { GridModeSchema, GridSchema, ResultsFormatSchema, ResultsTableSchema } from './grid';
import { OriginSchema } from './origin';
import { CacheFlagSchema, CachedFromSchema, ForceFlagSchema, ReducedSchema, ReduceOfSchema, ReduceRowFieldSchema, ThenSchema } from './reduce';

/** Most parameters one map may expand to. */
export const MAX_MAP_PARAMS = 100_000;

/** An integer JavaScript holds exactly (declarations cannot name a spread schema: a function). */
const safeInteger = (options: { default?: number } = {}) =>
  Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, ...options });

/** A task named by map or restart. */
export const TaskRefSchema = Type.Object({ name: Type.String(), task_id: Type.String() });

/** `<name>` of `/api/jobs/<name>/...`, percent-encoded when it contains `/`. */
export const JobParamsSchema = Type.Object({ name: NameSchema });
export type IJobParams = Static<typeof JobParamsSchema>;

export const RangeSchema = Type.Object(
  {
    start: Type.Optional(safeInteger({ default: 0 })),
    stop: safeInteger(),
    step: Type.Optional(safeInteger({ default: 1 }))
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
    ),
    notify: Type.Optional(NotifySchema),
    grid: Type.Optional(GridSchema),
    mode: Type.Optional(GridModeSchema),
    then: Type.Optional(ThenSchema),
    cache: Type.Optional(CacheFlagSchema),
    force: Type.Optional(ForceFlagSchema),
    origin: Type.Optional(OriginSchema)
  },
  { additionalProperties: false, description: 'Give one of params, range or grid (mode only with grid).' }
);
export type IMapBody = Static<typeof MapBodySchema>;

/** What the job service's `map` takes: the parameters already expanded from a range. */
export const MapOptionsSchema = Type.Object({
  params: Type.Array(JsonValueSchema),
  require: Type.Optional(Type.Union([Type.String({ description: 'Worker label; queue name. `default` when absent.' }), Type.Null()])),
  cell_timeout: Type.Optional(Type.Union([Type.Number({ description: 'Per-cell timeout in seconds; none when absent.' }), Type.Null()])),
  then: Type.Optional(Type.Union([ThenSchema, Type.Null()])),
  cache: Type.Optional(CacheFlagSchema),
  force: Type.Optional(ForceFlagSchema)
});

export const MapResponseSchema = Type.Object({
  task_group: Type.String(),
  job: Type.String(),
  count: Type.Integer(),
  require: Type.String(),
  tasks: Type.Array(TaskRefSchema),
  warnings: Type.Array(Type.String({ description: 'e.g. no live worker serves the required label.' })),
  cached: Type.Optional(Type.Integer({ minimum: 0, description: 'With cache: how many tasks were recorded from the cache (not queued).' }))
});

export const GroupQuerySchema = Type.Object(
  { task_group: Type.Optional(TaskGroupOrAllSchema) },
  { additionalProperties: false }
);
export type IGroupQuery = Static<typeof GroupQuerySchema>;

export const ResultsQuerySchema = Type.Object(
  { task_group: Type.Optional(TaskGroupSchema), format: Type.Optional(ResultsFormatSchema) },
  { additionalProperties: false }
);
export type IResultsQuery = Static<typeof ResultsQuerySchema>;

/** One row of `status()`. */
export const StatusRowSchema = Type.Object({
  name: Type.String(),
  task_id: Type.String(),
  status: QueueStateSchema,
  run_status: RunStatusSchema,
  task_group: Type.String(),
  job_id: Type.Integer(),
  duration: NullableNumberSchema,
  worker: NullableStringSchema,
  message: Type.String(),
  results: Type.Union([Type.String(), Type.Null()], { description: 'Result notebook of the last run, if any.' }),
  progress: Type.Optional(
    Type.Union([ProgressSummarySchema, Type.Null()], { description: 'Cells done / to run and the running cell while the task runs; null or absent otherwise.' })
  ),
  reduce_round: Type.Optional(ReduceRowFieldSchema),
  cached_from: Type.Optional(CachedFromSchema),
  gpus: Type.Optional(
    Type.Union([Type.String(), Type.Null()], { description: "GPUs the last run had (e.g. '0' or '0,1', as in CUDA_VISIBLE_DEVICES); null when it had none or did not run." })
  )
});

/** One execution of a task notebook, appended to `job_runs`. */
export const JobRunSchema = Type.Object({
  status: Type.Union([Type.Literal('OK'), Type.Literal('ERROR')]),
  ts: Type.String({ description: 'ISO time the run finished.' }),
  message: Type.String({ description: 'Empty on OK; on ERROR the exception name, value and traceback text (bounded).' }),
  results: Type.Union([Type.String(), Type.Null()], { description: 'Name of the result notebook this run stored.' }),
  duration: Type.Number({ description: 'Seconds the execution took.' }),
  worker: Type.String({ description: 'Celery hostname of the worker, e.g. nbgrid@host.' }),
  attempt: Type.Integer({ description: '1 for the first delivery, then counting redeliveries and restarts.' }),
  task_id: Type.String(),
  gpus: Type.Optional(Type.String({ description: "GPUs the run's kernel saw, e.g. '0' or '0,1' (its CUDA_VISIBLE_DEVICES); absent when it ran on no GPU slot." }))
});

/** A task: one parameter of one map. */
export const TaskSchema = Type.Object({
  name: Type.String({ description: 'tasks/<nb>/<group>-<i> (no .ipynb).' }),
  job: Type.String({ description: "The main notebook's name." }),
  task_group: Type.String(),
  job_id: Type.Integer({ description: 'Position of the parameter in the map: results come back in this order.' }),
  param: JsonValueSchema,
  main_sha256: Type.String({ description: 'Content address of the main notebook the task notebook is rendered from.' }),
  task_id: Type.String({ description: 'Current Celery task id.' }),
  state: QueueStateSchema,
  run_status: RunStatusSchema,
  require: Type.String(),
  cell_timeout: NullableNumberSchema,
  job_runs: Type.Array(JobRunSchema, {
    description: 'Run history, oldest first: the first run and the latest runs (the stored history is bounded; see runs_total).'
  }),
  runs_total: Type.Integer({
    minimum: 0,
    description: 'How many runs were ever recorded; more than job_runs has once the history was trimmed.'
  }),
  worker: Type.Union([Type.String(), Type.Null()], {
    description: 'Celery hostname of the worker that last started or ran it; null before any worker took it.'
  }),
  result: Type.Optional(jsonValue("Value the notebook returned (job['result']), from the last OK run.")),
  created: Type.String(),
  updated: Type.String(),
  cached_from: Type.Optional(CachedFromSchema),
  reduce_of: Type.Optional(ReduceOfSchema)
});

export const RestartBodySchema = Type.Object(
  {
    task_group: Type.Optional(TaskGroupSchema),
    reset: Type.Optional(Type.Boolean({ description: 'Re-run every task, not only those without an OK run.' })),
    refresh: Type.Optional(Type.Boolean({ description: 'Re-render task notebooks from the current main notebook.' })),
    tasks: Type.Optional(TaskSelectionSchema)
  },
  { additionalProperties: false }
);
export type IRestartBody = Static<typeof RestartBodySchema>;

/** What the job service's `restart` takes: the body of `POST /api/jobs/<name>/restart`. */
export const RestartOptionsSchema = RestartBodySchema;

export const RestartResponseSchema = Type.Object({ task_group: Type.String(), restarted: Type.Array(TaskRefSchema), with_results: Type.Optional(WithResultsSchema) });

export const CancelBodySchema = Type.Object(
  { task_group: Type.Optional(TaskGroupSchema), tasks: Type.Optional(TaskSelectionSchema) },
  { additionalProperties: false }
);
export type ICancelBody = Static<typeof CancelBodySchema>;

export const CancelResponseSchema = Type.Object({ task_group: Type.String(), revoked: Type.Integer() });

export const ResultsResponseSchema = Type.Object({
  task_group: Type.String(),
  results: Type.Array(JsonValueSchema, { description: 'One value per parameter, in parameter order; null where no OK run exists.' }),
  missing: Type.Array(Type.Integer(), { description: 'job_ids without an OK run.' }),
  reduced: Type.Optional(ReducedSchema)
});

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
    200: RestartResponseSchema,
    ...errorResponses(400, 401, 404, 503)
  }
};

export const cancelSchema = {
  summary: 'Revoke queued tasks and interrupt running ones',
  tags: ['jobs'],
  params: JobParamsSchema,
  body: CancelBodySchema,
  response: {
    200: CancelResponseSchema,
    ...errorResponses(400, 401, 404, 503)
  }
};

export const resultsSchema = {
  summary: 'Returned values in parameter order',
  tags: ['jobs'],
  params: JobParamsSchema,
  querystring: ResultsQuerySchema,
  response: {
    200: Type.Union([ResultsResponseSchema, ResultsTableSchema], { description: 'The list (default), or the table with format=table; format=csv answers text/csv.' }),
    ...errorResponses(400, 401, 404, 503)
  }
};

/** A task group: everything one map made. */
export const GroupSchema = Type.Object({
  task_group: Type.String(),
  job: Type.String(),
  count: Type.Integer(),
  require: Type.String(),
  created: Type.String(),
  states: Type.Partial(Type.Record(QueueStateSchema, Type.Integer()), { description: 'Counts by queue state.' }),
  schedule: Type.Optional(Type.String({ description: 'The schedule that made this group, if one did.' })),
  occurrence: Type.Optional(Type.String({ description: "ISO time of the schedule's occurrence this group is the map of." }))
});

export const groupsSchema = {
  summary: 'Task groups of a job, newest first',
  tags: ['jobs'],
  params: JobParamsSchema,
  response: { 200: Type.Object({ groups: Type.Array(GroupSchema) }), ...errorResponses(400, 401, 404, 503) }
};
