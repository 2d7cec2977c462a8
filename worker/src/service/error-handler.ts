/**
 * Central mapping of errors to `{statusCode, error, message}` answers (503s add a `hint` naming the
 * part that is down); 5xx internals stay in the log.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError, NotFoundError, ServiceUnavailableError } from '../domain/errors';
import type { IErrorBody, IServiceHint } from '../schemas';
import { partOf, unavailableHint } from './unavailable-hint';
import { validationMessage } from './validation-message';

/** Error answer body. */
export function errorBody(statusCode: number, message: string, hint?: IServiceHint): IErrorBody {
  const body: IErrorBody = { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
  if (hint) body.hint = hint;
  return body;
}

function megabytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
}

function isUnreachable(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown };
  return (
    (typeof e.name === 'string' && /^Mongo(Network|ServerSelection|NotConnected)Error$/.test(e.name)) ||
    e.code === 'ECONNREFUSED'
  );
}

/** Status and message for an error, or `null` for an unexpected one (answered 500). */
export function classify(
  error: FastifyError,
  request: FastifyRequest,
  bodyLimit: number
): { statusCode: number; message: string; hint?: IServiceHint } | null {
  if (error.validation) {
    return { statusCode: 400, message: validationMessage(error, request) };
  }
  if (error instanceof ServiceUnavailableError) {
    return { statusCode: error.statusCode, message: error.message, hint: unavailableHint(error.part ?? partOf(error.cause)) };
  }
  if (error instanceof InvalidInputError || error instanceof NotFoundError) {
    return { statusCode: error.statusCode, message: error.message };
  }
  if (isUnreachable(error)) {
    return {
      statusCode: 503,
      message: 'MongoDB or Redis is unreachable right now: retry later, or check `nbgrid status`',
      hint: unavailableHint(partOf(error))
    };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        statusCode: 413,
        message: `request body is larger than the limit of ${bodyLimit} bytes (${megabytes(bodyLimit)}): clear large outputs from the notebook or raise the service's body limit`
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        statusCode: 415,
        message: `unsupported Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')}: send the body as JSON with 'Content-Type: application/json'`
      };
    default:
      break;
  }
  const status = error.statusCode;
  if (typeof error.code === 'string' && error.code.startsWith('FST_') && status !== undefined && status >= 400 && status < 500) {
    return { statusCode: status, message: error.message };
  }
  return null;
}

/** Installs the error handler and the 404 handler. */
export function registerErrorHandlers(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = classify(error, request, bodyLimit);
    if (known === null) {
      request.log.error({ err: error }, 'unexpected error');
      return reply.code(500).send(errorBody(500, 'internal error: see the service log'));
    }
    if (known.statusCode >= 500) {
      request.log.warn({ err: error }, known.message);
    }
    return reply.code(known.statusCode).send(errorBody(known.statusCode, known.message, known.hint));
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0];
    return reply
      .code(404)
      .send(
        errorBody(
          404,
          `no route ${request.method} ${path}: GET /api/openapi.json lists the routes; ` +
            "a job name containing '/' must be percent-encoded (reports%2Fmonthly)"
        )
      );
  });
}
