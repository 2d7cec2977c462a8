/** `/api/workers`, `/api/health` and `/api/openapi.json`. */
import type { FastifyInstance } from 'fastify';
import { healthSchema, openapiSchema, workersSchema, type IHealth } from '../../schemas';
import type { IAppDeps, IHealthReport } from '../app-deps';

/** Default of `IAppDeps.healthTimeoutMs`. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 5000;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs the probes with a deadline; a probe that throws or hangs reports both parts as failing. */
export async function probeHealth(deps: IAppDeps): Promise<IHealthReport> {
  const timeoutMs = deps.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<IHealthReport>((resolve) => {
    timer = setTimeout(() => {
      const message = `no answer within ${timeoutMs} ms`;
      resolve({ mongo: message, redis: message });
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      deps.health().catch((error: unknown) => {
        const message = `health probe failed: ${describe(error)}`;
        return { mongo: message, redis: message };
      }),
      deadline
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerSystemRoutes(app: FastifyInstance, deps: IAppDeps): void {
  app.get('/api/workers', { schema: workersSchema }, async () => ({ workers: await deps.workers() }));

  app.get('/api/health', { schema: healthSchema, config: { public: true } }, async (_request, reply) => {
    const report = await probeHealth(deps);
    const failing = (['mongo', 'redis'] as const).filter((part) => report[part] !== 'ok');
    const body: IHealth = { status: failing.length === 0 ? 'ok' : 'unavailable', mongo: report.mongo, redis: report.redis, version: deps.version };
    if (failing.length > 0) {
      body.message = failing
        .map((part) => `${part === 'mongo' ? 'MongoDB' : 'Redis'} is not reachable: ${report[part]}`)
        .join('; ');
      return reply.code(503).send(body);
    }
    return body;
  });

  app.get('/api/openapi.json', { schema: openapiSchema }, async () => app.swagger());
}
