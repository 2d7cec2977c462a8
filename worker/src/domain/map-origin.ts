/**
 * Where a map comes from when a schedule makes it: the schedule, the occurrence, and the group
 * id derived from both. The scheduler submits a schedule's stored map body through the REST
 * route (`app.inject`), so the body is validated and expanded exactly like a `POST .../map`;
 * the origin travels beside the request in an AsyncLocalStorage instead of in the body, so no
 * client can set it. Storage reads it when it creates the group: the group id is then fixed (a
 * unique `_id`, so a second submission of the same occurrence cannot create a second group) and
 * the group records `schedule` and `occurrence`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface IMapOrigin {
  /** The group id to create (8 hex digits), derived from the schedule and the occurrence. */
  task_group: string;
  /** The schedule's id. */
  schedule: string;
  /** ISO time of the occurrence the map is for. */
  occurrence: string;
}

const origins = new AsyncLocalStorage<IMapOrigin>();

/** Run `fn` with `origin` as the origin of any map it makes. */
export function withMapOrigin<T>(origin: IMapOrigin, fn: () => Promise<T>): Promise<T> {
  return origins.run(origin, fn);
}

/** The origin of the map being made in this async context, if a schedule makes it. */
export function currentMapOrigin(): IMapOrigin | undefined {
  return origins.getStore();
}
