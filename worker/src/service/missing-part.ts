/**
 * Stands in for an optional service of the app (schedules, clean-up) that `buildApp` was not
 * given: its routes stay in the API document and answer 503 saying what is missing.
 */
import { ServiceUnavailableError } from '../domain/errors';

export function missingPart<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: () => () => Promise.reject(new ServiceUnavailableError(`${what} are not available in this app: buildApp was given no ${what} service`))
  });
}
