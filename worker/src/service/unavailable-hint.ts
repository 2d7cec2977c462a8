/** The `hint` of the API service's 503 answers: which part is down and what to do about it. */
import type { UnavailablePart } from '../domain/errors/service-unavailable-error';
import type { IServiceHint } from '../schemas';

const RESTART_LOCAL = 'with a local stack, `nbgrid down` then `nbgrid up`';

/** The hint for a part that is down; `undefined` when it is not known which of MongoDB and Redis. */
export function unavailableHint(part: UnavailablePart | undefined): IServiceHint {
  switch (part) {
    case 'mongodb':
      return {
        code: 'mongo_unavailable',
        part: 'mongodb',
        fix: `start MongoDB again (the service's NBGRID_MONGO_URL; ${RESTART_LOCAL}) and retry: the service reconnects by itself`
      };
    case 'redis':
      return {
        code: 'redis_unavailable',
        part: 'redis',
        fix: `start Redis again (the service's NBGRID_REDIS_URL; ${RESTART_LOCAL}) and retry: the service reconnects by itself`
      };
    default:
      return {
        code: 'storage_unavailable',
        part: 'mongodb_or_redis',
        fix: `GET /api/health names which of MongoDB and Redis is down; start it again (${RESTART_LOCAL}) and retry`
      };
  }
}

/** The part an error of a driver is about, known from its class (MongoDB driver errors are `Mongo*Error`). */
export function partOf(error: unknown): UnavailablePart | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^Mongo[A-Za-z]*Error$/.test(name) ? 'mongodb' : undefined;
}
