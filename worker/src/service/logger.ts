/** Logger options for the service: the token never reaches a log line. */
import type { FastifyRequest } from 'fastify';

/** Paths pino blanks out whatever serializer a caller adds. */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'];

/** What a request log line carries: no headers at all. */
export function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: request.url,
    hostname: request.hostname,
    remoteAddress: request.ip
  };
}

/**
 * Turns `IAppDeps.logger` into fastify's `logger` option with the authorization header redacted.
 * @defaultValue logger = false
 */
export function loggerOptions(logger: boolean | object | undefined): false | Record<string, unknown> {
  if (logger === undefined || logger === false) {
    return false;
  }
  const base = (typeof logger === 'object' ? logger : {}) as Record<string, unknown>;
  const serializers = (base.serializers ?? {}) as Record<string, unknown>;
  return {
    level: 'info',
    ...base,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { ...serializers, req: serializeRequest }
  };
}
