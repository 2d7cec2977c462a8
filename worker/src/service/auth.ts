/** Token authentication: `Authorization: token <t>` (or `Bearer <t>`) on every route but health. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Route config flag for routes that need no token. */
export interface IRouteAuthConfig {
  public?: boolean;
}

export const UNAUTHORIZED_MESSAGE =
  "missing or wrong API token: send the header 'Authorization: token <token>'; " +
  "the token is the \"token\" field of .nbgrid/stack.json (written by 'nbgrid up') or the NBGRID_TOKEN environment variable";

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Extracts the token from an Authorization header value, or `null`. */
export function tokenFromHeader(header: string | undefined): string | null {
  if (typeof header !== 'string') {
    return null;
  }
  const match = /^\s*(?:token|bearer)\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

/**
 * Constant-time check of a presented token. Both sides are hashed first so that
 * `timingSafeEqual` compares equal-length buffers and the length leaks nothing.
 */
export function tokenMatches(presented: string | null, expected: string): boolean {
  const ok = timingSafeEqual(digest(presented ?? ''), digest(expected));
  return ok && presented !== null && expected.length > 0;
}

/** Adds the onRequest hook that rejects requests without the right token. */
export function registerAuth(app: FastifyInstance, token: string): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const config = request.routeOptions.config as IRouteAuthConfig;
    // Unknown routes answer 404 with a hint, preflights are CORS's business.
    if (config.public === true || request.is404 || request.method === 'OPTIONS') {
      return;
    }
    if (!tokenMatches(tokenFromHeader(request.headers.authorization), token)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Token')
        .send({ statusCode: 401, error: 'Unauthorized', message: UNAUTHORIZED_MESSAGE });
    }
  });
}
