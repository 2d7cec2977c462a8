/**
 * The checks `map()` makes before anything is written: the options, and every parameter
 * serialized (which is also how it is stored).
 */
import { InvalidInputError } from '../domain/errors';
import { encodeJson } from '../domain/json-bytes';
import { labelProblem } from '../domain/names';
import type { IMapOptions } from '../domain/ports';
import { DEFAULT_QUEUE } from '../domain/types';

/** Most parameters one `map()` accepts. @defaultValue 100000 */
export const MAX_PARAMS = 100_000;

/** Largest JSON size of one parameter (a task document must stay far below 16 MB). @defaultValue 4 MB */
export const MAX_PARAM_BYTES = 4 * 1024 * 1024;

/** A map's options once checked. */
export interface ICheckedMap {
  /** Worker label (queue). */
  require: string;
  cellTimeout: number | null;
  /** Each parameter's JSON bytes, in map order. */
  paramBytes: Buffer[];
}

/** Check `options` of a map. @throws InvalidInputError saying what to change */
export function checkMapOptions(options: IMapOptions): ICheckedMap {
  const { params } = options ?? ({} as IMapOptions);
  if (!Array.isArray(params)) throw new InvalidInputError('params must be a list of JSON values');
  if (params.length > MAX_PARAMS) {
    throw new InvalidInputError(`params has ${params.length} values; one map accepts at most ${MAX_PARAMS}: split it into several maps`);
  }
  const require = options.require ?? DEFAULT_QUEUE;
  const labelError = labelProblem(require, 'require');
  if (labelError !== null) throw new InvalidInputError(labelError);
  const cellTimeout = options.cell_timeout ?? null;
  if (cellTimeout !== null && (typeof cellTimeout !== 'number' || !Number.isFinite(cellTimeout) || cellTimeout <= 0)) {
    throw new InvalidInputError('cell_timeout must be a positive number of seconds, or absent for no timeout');
  }
  // Serialize (and so check) every parameter before anything is written.
  const paramBytes = params.map((p, i) => {
    const bytes = encodeJson(p, `params[${i}]`);
    if (bytes.byteLength > MAX_PARAM_BYTES) {
      throw new InvalidInputError(
        `params[${i}] is ${bytes.byteLength} bytes of JSON; one parameter may be at most ${MAX_PARAM_BYTES}: store large data elsewhere and pass its name`
      );
    }
    return bytes;
  });
  return { require, cellTimeout, paramBytes };
}
