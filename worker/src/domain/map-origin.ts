/**
 * Where a map comes from when a schedule makes it: the schedule, the occurrence, and the group
 * id derived from both. The scheduler submits a schedule's stored map body through the REST
 * route (`app.inject`), so the body is validated and expanded exactly like a `POST .../map`;
 * the origin travels beside the request in an AsyncLocalStorage instead of in the body, so no
 * client can set it. Storage reads it when it creates the group: the group id is then fixed (a
 * unique `_id`, so a second submission of the same occurrence cannot create a second group) and
 * the group records `schedule` and `occurrence`.
 *
 * The same context can ask for validation only: the map route and the job service run as for a
 * real map (every check a map makes), and storage stops at the first write (`MapValidatedOnly`).
 * So a schedule's map body is checked when the schedule is created by the very code that will
 * submit it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { InvalidInputError } from './errors';

export interface IMapOrigin {
  /** The group id to create (8 hex digits), derived from the schedule and the occurrence. */
  task_group: string;
  /** The schedule's id. */
  schedule: string;
  /** ISO time of the occurrence the map is for. */
  occurrence: string;
}

interface IMapContext {
  origin?: IMapOrigin;
  /** Set for a validation only: `reached` turns true when every check passed. */
  validation?: { reached: boolean };
}

const contexts = new AsyncLocalStorage<IMapContext>();

/** Run `fn` with `origin` as the origin of any map it makes. */
export function withMapOrigin<T>(origin: IMapOrigin, fn: () => Promise<T>): Promise<T> {
  return contexts.run({ origin }, fn);
}

/** The origin of the map being made in this async context, if a schedule makes it. */
export function currentMapOrigin(): IMapOrigin | undefined {
  return contexts.getStore()?.origin;
}

/** What a map made in validation-only mode raises instead of storing anything. */
export class MapValidatedOnly extends InvalidInputError {
  constructor() {
    super('the map is valid; it was only validated, nothing was stored');
  }
}

/**
 * Run `fn` (which makes a map) in validation-only mode. @returns true when the map passed every
 * check and reached storage (which stored nothing)
 */
export async function validateMapOnly(fn: () => Promise<unknown>): Promise<boolean> {
  const validation = { reached: false };
  await contexts.run({ validation }, fn).catch((err: unknown) => {
    if (!(err instanceof MapValidatedOnly)) throw err;
  });
  return validation.reached;
}

/** Called by storage before its first write of a map. @throws MapValidatedOnly in validation-only mode */
export function stopIfValidatingOnly(): void {
  const validation = contexts.getStore()?.validation;
  if (validation) {
    validation.reached = true;
    throw new MapValidatedOnly();
  }
}
