/**
 * The cache of OK runs, per job: an input key (`cache/input-key.ts`) with an OK run names that
 * run's task, result notebook and returned value. Written by the worker that records an OK run;
 * read by `map(cache=True)` with one query per map. Implemented by `storage/task-cache.ts`.
 */
import type { JsonText } from './json-bytes';
import type { ITask, JsonValue } from './types';

/** An input key's OK run. */
export interface ICacheEntry {
  key: string;
  /** The task whose run it is (`tasks/<nb>/<group>-<i>`). */
  task: string;
  /** Its result notebook. */
  results: string | null;
  /** Its returned value's JSON bytes, when it returned one. */
  result?: Uint8Array;
}

/** One task of a new map recorded from the cache. */
export interface ICachedTask {
  job_id: number;
  entry: ICacheEntry;
  /** The task's parameter as JSON bytes (as the map stored it). */
  param: Uint8Array;
}

export interface ITaskCache {
  /** Entries of `job` for `keys`, by key: one query whatever the number of keys. */
  lookup(job: string, keys: string[]): Promise<Map<string, ICacheEntry>>;
  /** Remember an OK run for its input key (a later OK run of the same key replaces it). */
  record(job: string, task: Pick<ITask, 'name'>, key: string, results: string | null, result: JsonValue | JsonText | undefined): Promise<void>;
}
