/** Schemas used by several routes. */
import { Type, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { LABEL_PATTERN, LABEL_RULE, TASK_GROUP_OR_ALL_PATTERN, TASK_GROUP_PATTERN } from '../domain/names';
import { QUEUE_STATES, RUN_STATUSES } from '../domain/queue-states';

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

export { LABEL_PATTERN };

/** A worker label such as `gpu`. */
export const LabelSchema = Type.String({
  pattern: LABEL_PATTERN,
  description: `Worker label (queue name): ${LABEL_RULE}`,
  examples: ['gpu']
});

/** A task group id, e.g. `3fa2c1d0`. */
export const TaskGroupSchema = Type.String({
  pattern: TASK_GROUP_PATTERN,
  description: 'Task group id as returned by map, e.g. 3fa2c1d0.',
  examples: ['3fa2c1d0']
});

/** A task group id or `*` for all groups. */
export const TaskGroupOrAllSchema = Type.String({
  pattern: TASK_GROUP_OR_ALL_PATTERN,
  description: "Task group id, or '*' for all groups; latest group when absent.",
  examples: ['3fa2c1d0', '*']
});

/**
 * A JSON value as it travels in parameters and returned values. TypeScript's recursive type is
 * spelled out because the schema stays open (`{}`): bodies are JSON already.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Any JSON value (a parameter or a returned value), described as `description`. */
export function jsonValue(description = 'Any JSON value.') {
  return Type.Unsafe<JsonValue>({ description });
}

/** Any JSON value (a parameter or a returned value). */
export const JsonValueSchema = jsonValue();

type LiteralTuple<T extends readonly string[]> = { -readonly [K in keyof T]: T[K] extends string ? TLiteral<T[K]> : never };

/** `anyOf` of the string literals of a const tuple, typed member by member (so a Record can key on it). */
function literalUnion<T extends readonly string[]>(values: T): TUnion<Extract<LiteralTuple<T>, TSchema[]>> {
  return Type.Union(values.map((v) => Type.Literal(v))) as unknown as TUnion<Extract<LiteralTuple<T>, TSchema[]>>;
}

/** Celery queue state of a task (the `status` column). */
export const QueueStateSchema = literalUnion(QUEUE_STATES);

/** Outcome of executing a task notebook (the `run_status` column). */
export const RunStatusSchema = literalUnion(RUN_STATUSES);

export const NullableNumberSchema = Type.Union([Type.Number(), Type.Null()]);
export const NullableStringSchema = Type.Union([Type.String(), Type.Null()]);

/** Error answers a route documents, by status code. */
export function errorResponses(...codes: number[]): Record<number, typeof ErrorSchema> {
  return Object.fromEntries(codes.map((code) => [code, ErrorSchema]));
}

/**
 * Per-field hints appended to validation messages, keyed by the field's last path segment.
 * They say what a valid value looks like.
 */
export const FIELD_HINTS: Record<string, string> = {
  require: `a worker label is ${LABEL_RULE} (e.g. "gpu")`,
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
  prefix: "a relative path prefix such as 'reports/' or 'tasks/'",
  grid: 'give an object of lists, e.g. {"alpha": [0.1, 0.5], "n": [10, 100]}',
  mode: "'product' (every combination) or 'zip' (pairwise)",
  format: "'list', 'table' or 'csv'"
};
