/**
 * The nbgrid REST API as a Fastify instance. `buildApp()` never listens: tests use `inject()`,
 * `startServer()` listens. Everything it talks to arrives in `deps`.
 */
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { type IAppDeps, DEFAULT_BODY_LIMIT } from './app-deps';
import { registerAuth } from './auth';
import { registerErrorHandlers } from './error-handler';
import { registerJsonBody } from './json-body';
import { loggerOptions } from './logger';
import { registerEventRoutes } from './routes/events';
import { registerJobRoutes } from './routes/jobs';
import { registerNotebookRoutes } from './routes/notebooks';
import { NO_PROGRESS, registerProgressRoutes } from './routes/progress';
import { registerSystemRoutes } from './routes/system';
import { registerGridRoutes } from './routes/grid';
import { registerUploadBudget, UploadBudget } from './upload-budget';
import { registerScheduleRoutes } from './routes/schedules';
import { registerRetentionRoutes } from './routes/retention';
import { missingPart } from './missing-part';

export type { IAppDeps, IHealthReport } from './app-deps';

export function buildApp(deps: IAppDeps): FastifyInstance {
  if (typeof deps.token !== 'string' || deps.token.length === 0) {
    throw new Error('buildApp: the API token is empty; generate one (nbgrid up writes it to .nbgrid/stack.json)');
  }
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    logger: loggerOptions(deps.logger),
    bodyLimit,
    // A name may be 512 characters, percent-encoded up to 12 bytes each in /api/jobs/<name>/...;
    // Fastify's default (100) answered 414 for valid names longer than 100.
    routerOptions: { maxParamLength: 8192 },
    ajv: {
      // Reject rather than repair: "5" is not a number, 5 is not [5], unknown fields are typos.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false }
    }
  });

  registerErrorHandlers(app, bodyLimit);
  registerAuth(app, deps.token);
  registerJsonBody(app);
  registerUploadBudget(app, deps.uploadBudget ?? new UploadBudget(), bodyLimit);

  const origins = deps.corsOrigins ?? [];
  if (origins.length > 0) {
    void app.register(cors, {
      origin: origins,
      methods: ['GET', 'PUT', 'POST', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type']
    });
  }

  // Swagger collects routes through onRoute, so it loads before the routes plugin.
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'nbgrid',
        version: deps.version,
        description: 'Map a Jupyter notebook over parameters on Celery-compatible workers.'
      },
      components: {
        securitySchemes: {
          token: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description: "'token <t>'; the token is in .nbgrid/stack.json or NBGRID_TOKEN"
          }
        }
      },
      security: [{ token: [] }]
    }
  });

  void app.register(async (api) => {
    registerNotebookRoutes(api, deps.jobs);
    registerJobRoutes(api, deps.jobs);
    registerSystemRoutes(api, deps);
    registerEventRoutes(api, deps);
    registerProgressRoutes(api, deps.progress ?? NO_PROGRESS);
    registerGridRoutes(api, deps.jobs);
    registerScheduleRoutes(api, deps.schedules ?? missingPart('schedules'));
    registerRetentionRoutes(api, deps.retention ?? missingPart('clean-up'));
  });

  return app;
}
