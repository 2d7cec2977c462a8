/** `/api/jobs/<name>/...`: map, status, tasks, restart, cancel, results, groups. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../../domain/errors';
import { JsonText } from '../../domain/json-bytes';
import { jsonArrayElements, jsonMemberText } from '../../domain/json-spans';
import type { IJobService } from '../../domain/ports';
import type { JsonValue } from '../../domain/types';
import { assertValidLabel } from '../../domain/names';
import {
  assertValidName,
  cancelSchema,
  groupsSchema,
  mapSchema,
  restartSchema,
  resultsSchema,
  statusSchema,
  tasksSchema,
  type ICancelBody,
  type IGroupQuery,
  type IJobParams,
  type IMapBody,
  type IRestartBody,
  type IResultsQuery
} from '../../schemas';
import { bodySource } from '../json-body';
import { gridParams } from '../grid-body';
import { sendResultsTable } from './grid';
import { expandRange } from '../range';

const JOB = 'job name';

/** The parameters of a map body: `params` or the expanded `range`, never both, never empty. */
export function mapParams(body: IMapBody): JsonValue[] {
  if (body.params !== undefined && body.range !== undefined) {
    throw new InvalidInputError('body has both params and range: give one of them, not both');
  }
  if (body.range !== undefined) {
    const params = expandRange(body.range);
    if (params.length === 0) {
      const { start = 0, stop, step = 1 } = body.range;
      throw new InvalidInputError(`body/range range(${start}, ${stop}, ${step}) is empty: nothing to map`);
    }
    return params;
  }
  if (body.params === undefined) {
    throw new InvalidInputError(
      'body needs params (a JSON array, one element per task, e.g. [1, 2, 3]) or range ({"start": 0, "stop": 10, "step": 1})'
    );
  }
  if (body.params.length === 0) {
    throw new InvalidInputError('body/params is an empty array: nothing to map; give at least one parameter');
  }
  return body.params as JsonValue[];
}

/**
 * The map body's `params` as the JSON texts they were sent as (one per parameter), so they are
 * stored and reach the kernel exactly; undefined for `range` or a body parsed elsewhere.
 */
export function exactMapParams(body: IMapBody): JsonText[] | undefined {
  const source = bodySource(body);
  if (source === undefined || body.params === undefined) return undefined;
  const params = jsonMemberText(source, 'params');
  if (params === undefined) return undefined;
  const texts = jsonArrayElements(params);
  // The body was validated from the same text, so this holds; if not, fall back to the values.
  return texts.length === body.params.length ? texts.map((t) => new JsonText(t)) : undefined;
}

/** A response body already serialized (values spliced in as stored), sent as it is. */
const JSON_TYPE = 'application/json; charset=utf-8';

/** restart and cancel may be posted without a body: it means all defaults. */
async function emptyBodyIsEmptyObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined) {
    request.body = {};
  }
}

export function registerJobRoutes(app: FastifyInstance, jobs: IJobService): void {
  app.post<{ Params: IJobParams; Body: IMapBody }>(
    '/api/jobs/:name/map',
    { schema: mapSchema },
    async (request, reply) => {
      const name = assertValidName(request.params.name, JOB);
      const body = request.body;
      // A grid (or a stray mode) is expanded here, size checked before anything is stored.
      const grid = body.grid !== undefined || body.mode !== undefined ? gridParams(body) : undefined;
      const params = grid ? grid.params : mapParams(body);
      const result = await jobs.map(
        name,
        {
          params,
          require: body.require == null ? null : assertValidLabel(body.require, 'require'),
          cell_timeout: body.cell_timeout ?? null,
          ...(body.then ? { then: body.then } : {}),
          ...(body.cache !== undefined ? { cache: body.cache } : {}),
          ...(body.force !== undefined ? { force: body.force } : {})
        },
        grid ? grid.exact : exactMapParams(body)
      );
      return reply.code(201).send(result);
    }
  );

  app.get<{ Params: IJobParams; Querystring: IGroupQuery }>(
    '/api/jobs/:name/status',
    { schema: statusSchema },
    async (request, reply) => {
      const job = assertValidName(request.params.name, JOB);
      if (!jobs.statusJson) return { rows: await jobs.status(job, request.query.task_group) };
      // Rows built by statusRow() (the schema's shape), already JSON: skip re-serializing them.
      const json = await jobs.statusJson(job, request.query.task_group);
      return reply.type(JSON_TYPE).send(`{"rows":${json}}`);
    }
  );

  app.get<{ Params: IJobParams; Querystring: IGroupQuery }>(
    '/api/jobs/:name/tasks',
    { schema: tasksSchema },
    async (request, reply) => {
      const job = assertValidName(request.params.name, JOB);
      if (!jobs.tasksJson) return { tasks: await jobs.tasks(job, request.query.task_group) };
      return reply.type(JSON_TYPE).send(await jobs.tasksJson(job, request.query.task_group));
    }
  );

  app.post<{ Params: IJobParams; Body: IRestartBody | undefined }>(
    '/api/jobs/:name/restart',
    { schema: restartSchema, preValidation: emptyBodyIsEmptyObject },
    async (request) => {
      const body = request.body ?? {};
      return jobs.restart(assertValidName(request.params.name, JOB), {
        task_group: body.task_group,
        reset: body.reset ?? false,
        refresh: body.refresh ?? false,
        ...(body.tasks ? { tasks: body.tasks } : {})
      });
    }
  );

  app.post<{ Params: IJobParams; Body: ICancelBody | undefined }>(
    '/api/jobs/:name/cancel',
    { schema: cancelSchema, preValidation: emptyBodyIsEmptyObject },
    async (request) => {
      const body = request.body ?? {};
      return jobs.cancel(assertValidName(request.params.name, JOB), { task_group: body.task_group, ...(body.tasks ? { tasks: body.tasks } : {}) });
    }
  );

  app.get<{ Params: IJobParams; Querystring: IResultsQuery }>(
    '/api/jobs/:name/results',
    { schema: resultsSchema },
    async (request, reply) => {
      const job = assertValidName(request.params.name, JOB);
      const format = request.query.format ?? 'list';
      if (format !== 'list') return sendResultsTable(reply, jobs, job, request.query.task_group, format);
      if (!jobs.resultsJson) return jobs.results(job, request.query.task_group);
      return reply.type(JSON_TYPE).send(await jobs.resultsJson(job, request.query.task_group));
    }
  );

  app.get<{ Params: IJobParams }>('/api/jobs/:name/groups', { schema: groupsSchema }, async (request) => ({
    groups: await jobs.groups(assertValidName(request.params.name, JOB))
  }));
}
