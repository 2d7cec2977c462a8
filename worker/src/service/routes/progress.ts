/**
 * Live progress over REST: `GET /api/jobs/<name>/progress` (the latest update of each running
 * task), `GET /api/jobs/<name>/tasks/<task>/partial` (a running task's notebook so far), the
 * `progress` field of status rows, and a map's `notify` (checked before the map, kept after it).
 * The last two hook into the routes of `routes/jobs.ts` by their URL, which keeps those handlers
 * as they are.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError, NotFoundError } from '../../domain/errors';
import type { IProgressSource } from '../../domain/progress-source';
import { assertWebhookUrl } from '../../domain/webhook-url';
import { assertValidName, partialSchema, progressSchema, type IJobParams, type IMapBody, type IPartialParams } from '../../schemas';
import type { IProgressEvent, IProgressSummary } from '../../schemas/progress';

const STATUS_URL = '/api/jobs/:name/status';
const MAP_URL = '/api/jobs/:name/map';

/** The task name a `<task>` path segment names: `<group>-<i>` of the job, or a full task name. */
export function taskNameOf(job: string, task: string): string {
  const name = task.replace(/\.ipynb$/, '');
  const full = name.startsWith('tasks/') ? name : `tasks/${job}/${name}`;
  if (!/^[0-9a-f]{8}-\d+$/.test(full.slice(full.lastIndexOf('/') + 1))) {
    throw new InvalidInputError(`task must be <group>-<i> (e.g. 3fa2c1d0-0) or a task name tasks/<job>/<group>-<i>, got ${JSON.stringify(task)}`);
  }
  return assertValidName(full, 'task name');
}

/** An app built without live progress: nothing runs, nothing to subscribe to. */
export const NO_PROGRESS: IProgressSource = {
  running: async () => [],
  partial: async () => null,
  subscribeProgress: () => () => undefined,
  subscribeDone: () => () => undefined,
  registerNotify: async () => {
    throw new Error('this service was built without live progress: notify is not kept');
  }
};

function summary(event: IProgressEvent): IProgressSummary {
  return { done: event.done, total: event.total, cell: event.cell };
}

export function registerProgressRoutes(app: FastifyInstance, progress: IProgressSource): void {
  app.get<{ Params: IJobParams }>('/api/jobs/:name/progress', { schema: progressSchema }, async (request) => {
    const job = assertValidName(request.params.name, 'job name');
    return { progress: await progress.running(job) };
  });

  app.get<{ Params: IPartialParams }>('/api/jobs/:name/tasks/:task/partial', { schema: partialSchema }, async (request, reply) => {
    const job = assertValidName(request.params.name, 'job name');
    const name = taskNameOf(job, request.params.task);
    const json = await progress.partial(name);
    if (json === null) {
      throw new NotFoundError(`task ${name} is not running (or has not reported progress yet): open its result notebook instead`);
    }
    // The stored notebook text goes out as it is.
    return reply
      .type('application/json; charset=utf-8')
      .send(`{"name":${JSON.stringify(name)},"ts":${JSON.stringify(new Date().toISOString())},"content":${json}}`);
  });

  // A map's notify: a bad webhook URL is a 400 before anything is written.
  app.addHook('preHandler', async (request: FastifyRequest) => {
    if (request.routeOptions.url !== MAP_URL || request.method !== 'POST') return;
    const notify = (request.body as IMapBody | undefined)?.notify;
    if (notify?.webhook !== undefined) notify.webhook = assertWebhookUrl(notify.webhook);
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const url = request.routeOptions.url;
    if (url === MAP_URL && reply.statusCode === 201 && typeof payload === 'string') {
      const body = request.body as IMapBody | undefined;
      const notify = body?.notify;
      if (notify?.webhook !== undefined) {
        const { task_group } = JSON.parse(payload) as { task_group: string };
        await progress.registerNotify(task_group, { ...notify, ...(body?.origin ? { origin: body.origin } : {}) });
      } else if (body?.origin) {
        // Only a JupyterLab's notification depends on it: a map is not failed for want of it.
        const { task_group } = JSON.parse(payload) as { task_group: string };
        await progress.registerNotify(task_group, { origin: body.origin }).catch(() => undefined);
      }
      return payload;
    }
    if (url === STATUS_URL && reply.statusCode === 200 && typeof payload === 'string') {
      return withProgress(payload, await progress.running((request.params as IJobParams).name));
    }
    return payload;
  });
}

/**
 * A running row as `statusRow()` serializes it (name, task_id, status first): one regex pass finds
 * them, so a status of 10,000 rows is not parsed and re-serialized for the few that run.
 */
const RUNNING_ROW = /\{"name":("(?:[^"\\]|\\.)*"),"task_id":("(?:[^"\\]|\\.)*"),"status":"STARTED"/g;

/** The status body with `progress` on each running row that reports it (other rows unchanged: no field). */
export function withProgress(payload: string, running: IProgressEvent[]): string {
  if (running.length === 0) return payload;
  const byName = new Map(running.map((e) => [e.name, e]));
  const parts: string[] = [];
  let from = 0;
  for (const match of payload.matchAll(RUNNING_ROW)) {
    const event = byName.get(JSON.parse(match[1]) as string);
    if (!event || event.task_id !== (JSON.parse(match[2]) as string)) continue;
    const at = match.index! + 1;
    parts.push(payload.slice(from, at), `"progress":${JSON.stringify(summary(event))},`);
    from = at;
  }
  if (from === 0) return payload;
  parts.push(payload.slice(from));
  return parts.join('');
}
