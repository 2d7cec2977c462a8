/** Schemas used by several routes. */
import { Type, type Static } from '@sinclair/typebox';

/**
 * What a 503 (or the server extension's own 503) says about the failing part, for programs: a UI
 * picks its dialog by `code` and shows `fix`, instead of matching the message text.
 */
export const ServiceHintSchema = Type.Object(
  {
    code: Type.Union(
      [
        Type.Literal('service_not_configured'),
        Type.Literal('service_unreachable'),
        Type.Literal('mongo_unavailable'),
        Type.Literal('redis_unavailable'),
        Type.Literal('storage_unavailable')
      ],
      {
        description:
          'service_not_configured / service_unreachable: the Jupyter server extension found no nbgrid service, or cannot reach it; ' +
          'mongo_unavailable / redis_unavailable: the API service cannot reach that part; storage_unavailable: MongoDB or Redis, not known which.'
      }
    ),
    part: Type.Union([Type.Literal('service'), Type.Literal('mongodb'), Type.Literal('redis'), Type.Literal('mongodb_or_redis')], {
      description: 'The part that is down.'
    }),
    fix: Type.String({ description: 'What a person can do about it.' })
  },
  { description: 'Machine-readable cause of an unavailable answer.' }
);
export type IServiceHint = Static<typeof ServiceHintSchema>;

/** Every error answer: `{statusCode, error, message}`, the message saying what to fix; 503s add `hint`. */
export const ErrorSchema = Type.Object(
  {
    statusCode: Type.Integer({ examples: [400] }),
    error: Type.String({ examples: ['Bad Request'] }),
    message: Type.String({ description: 'What went wrong and how to fix it.' }),
    hint: Type.Optional(ServiceHintSchema)
  },
  { description: 'An error with a message a person can act on.' }
);
export type IErrorBody = Static<typeof ErrorSchema>;

/** Worker label, which is also the queue name. */
export const LABEL_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';

/** A worker label such as `gpu`. */
export const LabelSchema = Type.String({
  pattern: LABEL_PATTERN,
  description: 'Worker label (queue name): 1-64 characters from A-Z a-z 0-9 _ . -',
  examples: ['gpu']
});

/** A task group id, e.g. `3fa2c1d0`. */
export const TaskGroupSchema = Type.String({
  pattern: LABEL_PATTERN,
  description: 'Task group id as returned by map, e.g. 3fa2c1d0.',
  examples: ['3fa2c1d0']
});

/** A task group id or `*` for all groups. */
export const TaskGroupOrAllSchema = Type.String({
  pattern: '^(\\*|[A-Za-z0-9_.-]{1,64})$',
  description: "Task group id, or '*' for all groups; latest group when absent.",
  examples: ['3fa2c1d0', '*']
});

/** Any JSON value (a parameter or a returned value). */
export const JsonValueSchema = Type.Unknown({ description: 'Any JSON value.' });

/** Error answers a route documents, by status code. */
export function errorResponses(...codes: number[]): Record<number, typeof ErrorSchema> {
  return Object.fromEntries(codes.map((code) => [code, ErrorSchema]));
}

/**
 * Per-field hints appended to validation messages, keyed by the field's last path segment.
 * They say what a valid value looks like.
 */
export const FIELD_HINTS: Record<string, string> = {
  require: 'a worker label is 1-64 characters from A-Z a-z 0-9 _ . - (e.g. "gpu")',
  task_group: "give a task group id as returned by map (e.g. \"3fa2c1d0\"), or '*' where all groups are allowed",
  cell_timeout: 'give a positive number of seconds, e.g. 600',
  params: 'give a JSON array with one element per task, e.g. [1, 2, 3]',
  range: 'give {"start": 0, "stop": 10, "step": 1}, integers, like Python\'s range()',
  start: 'an integer',
  stop: 'an integer',
  step: 'a non-zero integer',
  content: 'give the nbformat v4 notebook as a JSON object',
  reset: 'true or false',
  refresh: 'true or false',
  prefix: "a relative path prefix such as 'reports/' or 'tasks/'"
};
