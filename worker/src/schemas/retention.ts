/** Schemas of `/api/gc`: delete task groups and the blobs nothing references any more. */
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses, QueueStateSchema, TaskGroupSchema } from './common';
import { NameSchema } from './name';

/** An age such as `30d`, `12h`, `90m` or `45s`. */
export const AGE_PATTERN = '^[0-9]{1,6}(d|h|m|s)$';

export const CleanupBodySchema = Type.Object(
  {
    job: Type.Optional(NameSchema),
    task_group: Type.Optional(TaskGroupSchema),
    older_than: Type.Optional(Type.String({ pattern: AGE_PATTERN, description: 'Only groups created longer ago than this: 30d, 12h, 90m or 45s.', examples: ['30d'] })),
    states: Type.Optional(
      Type.Array(QueueStateSchema, { minItems: 1, description: 'Only groups whose every task is in one of these states, e.g. ["FAILURE", "REVOKED"].' })
    ),
    schedule: Type.Optional(Type.String({ pattern: '^[0-9a-f]{8}$', description: 'Only groups this schedule made.' })),
    dry_run: Type.Optional(Type.Boolean({ default: false, description: 'Report what would go, remove nothing.' }))
  },
  {
    additionalProperties: false,
    description:
      'Selectors combine (all must hold); at least one of job, task_group, older_than, states, schedule. Groups with queued or running tasks are never deleted: a named task_group is refused (cancel it first), others are reported as skipped. Blobs nothing references any more are removed after.'
  }
);
export type ICleanupBody = Static<typeof CleanupBodySchema>;

export const RemovedGroupSchema = Type.Object({
  task_group: Type.String(),
  job: Type.String(),
  created: Type.String(),
  tasks: Type.Integer(),
  results: Type.Integer({ description: 'Result notebooks.' }),
  bytes: Type.Integer({ description: "Bytes of the group's documents: group, tasks (parameters, returned values, run history), result records." })
});

export const SkippedGroupSchema = Type.Object({
  task_group: Type.String(),
  job: Type.String(),
  reason: Type.String()
});

export const CleanupReportSchema = Type.Object({
  dry_run: Type.Boolean(),
  groups: Type.Array(RemovedGroupSchema, { description: 'Groups removed (or that would be).' }),
  skipped: Type.Array(SkippedGroupSchema, { description: 'Groups selected but kept, with the reason (queued or running tasks).' }),
  tasks: Type.Integer(),
  results: Type.Integer(),
  bytes: Type.Integer({ description: "The groups' documents, bytes." }),
  blobs: Type.Integer({ description: 'Blobs removed: notebooks, result notebooks, parameter arrays no document references any more.' }),
  blob_bytes: Type.Integer(),
  revoked: Type.Integer({ description: 'Expired revoke entries removed (their task can no longer be delivered).' })
});
export type ICleanupReport = Static<typeof CleanupReportSchema>;

export const cleanupSchema = {
  summary: 'Delete task groups (by group, age, state, schedule) and unreferenced blobs',
  tags: ['retention'],
  body: CleanupBodySchema,
  response: { 200: CleanupReportSchema, ...errorResponses(400, 401, 404, 503) }
};
