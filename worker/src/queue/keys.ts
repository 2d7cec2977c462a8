/** nbgrid's own Redis names beside the Celery layer's (see `celery/keys.ts` for those). */
import { CeleryKeys } from '../celery';

/** Channel of nbgrid's task state changes (`ITaskEvent` JSON), under the broker's key prefix. */
export function taskEventsChannel(keys: CeleryKeys = new CeleryKeys()): string {
  return `${keys.prefix}nbgrid:events`;
}
