/** Schemas of live progress: `event: progress` and `event: group-done` of `/api/events`, status rows' `progress`, partial notebooks, map notifications. */
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses } from './common';
import { NameSchema } from './name';
import { OriginSchema } from './origin';

/** `<name>` of `/api/jobs/<name>/progress` (declared here: jobs.ts imports this file). */
const JobParamsSchema = Type.Object({ name: NameSchema });

/** The cell a task runs now. */
export const CellProgressSchema = Type.Object({
  index: Type.Integer({ description: 'Index of the cell in the task notebook.' }),
  source: Type.String({ description: 'Its first non-empty source line (at most 400 characters).' }),
  started: Type.String({ description: 'ISO time the cell was sent to the kernel.' })
});

/** `progress` of a status row: null when the task is not running (or has not reported yet). */
export const ProgressSummarySchema = Type.Object({
  done: Type.Integer({ description: 'Code cells finished.' }),
  total: Type.Integer({ description: 'Code cells to run.' }),
  cell: Type.Union([CellProgressSchema, Type.Null()], { description: 'The running cell; null between cells.' })
});
export type IProgressSummary = Static<typeof ProgressSummarySchema>;

/** A running task's progress: the `data` of an `event: progress`, published by workers a few times a second at most. */
export const ProgressEventSchema = Type.Object({
  name: Type.String(),
  job: Type.String(),
  task_group: Type.String(),
  job_id: Type.Integer(),
  task_id: Type.String(),
  worker: Type.String(),
  seq: Type.Integer({ description: 'Counts up per run of the task: a client keeps the highest it saw.' }),
  ts: Type.String({ description: 'ISO time of the update.' }),
  done: Type.Integer({ description: 'Code cells finished.' }),
  total: Type.Integer({ description: 'Code cells to run.' }),
  cell: Type.Union([CellProgressSchema, Type.Null()]),
  tail: Type.Array(Type.String(), { description: 'The last ~20 lines of stdout/stderr, oldest first; `\\r` rewrites a line.' }),
  display: Type.Union([Type.String(), Type.Null()], {
    description: 'Last line of the latest display / update_display text (e.g. a tqdm bar); null when none.'
  }),
  final: Type.Boolean({ description: 'The run has ended (its task event follows).' })
});
export type IProgressEvent = Static<typeof ProgressEventSchema>;

/** What `event: group-done` carries: a map (or a restart of it) whose every task is final; sent once. */
export const GroupDoneEventSchema = Type.Object({
  job: Type.String(),
  task_group: Type.String(),
  round: Type.String({ description: 'Identifies this completion (a restart makes a new round).' }),
  count: Type.Integer(),
  counts: Type.Object({ OK: Type.Integer(), ERROR: Type.Integer() }, { description: 'Tasks by run status.' }),
  duration: Type.Number({ description: 'Seconds from the map (or restart) to the last task end, as seen by the service.' }),
  failed: Type.Array(Type.String(), { description: 'Names of the tasks without an OK run (at most 1,000).' }),
  ts: Type.String(),
  origin: Type.Optional(OriginSchema)
});
export type IGroupDoneEvent = Static<typeof GroupDoneEventSchema>;

/** `notify` of a map body. */
export const NotifySchema = Type.Object(
  {
    webhook: Type.Optional(
      Type.String({
        maxLength: 2048,
        description: 'http(s) URL that receives one POST with the group-done summary as JSON when the map finishes (retried on 5xx).'
      })
    )
  },
  { additionalProperties: false, description: 'Who to tell when the map finishes.' }
);
export type INotify = Static<typeof NotifySchema>;

export const progressSchema = {
  summary: 'Progress of the running tasks of a job',
  tags: ['jobs'],
  params: JobParamsSchema,
  response: { 200: Type.Object({ progress: Type.Array(ProgressEventSchema) }), ...errorResponses(400, 401, 503) }
};

export const PartialParamsSchema = Type.Object({
  name: NameSchema,
  task: Type.String({ description: "The task: `<group>-<i>` or its full name `tasks/<job>/<group>-<i>`, percent-encoded." })
});
export type IPartialParams = Static<typeof PartialParamsSchema>;

export const partialSchema = {
  summary: 'The notebook of a running task as executed so far',
  description:
    'Outputs of the cells run so far (kept a few seconds behind the kernel, bounded per task); 404 when the task is not running or has not reported yet — its result notebook is then the record.',
  tags: ['jobs'],
  params: PartialParamsSchema,
  response: {
    200: Type.Object({ name: Type.String(), ts: Type.String(), content: Type.Object({}, { additionalProperties: true }) }),
    ...errorResponses(400, 401, 404, 503)
  }
};
