/**
 * The cache as `map(cache=True)` and the workers use it: the input keys of a map's tasks (the
 * notebook hashed once), the lookup of all of them in one query, and the entry a worker writes
 * when it records an OK run.
 */
import { JsonText } from '../domain/json-bytes';
import type { ICacheEntry, ITaskCache } from '../domain/task-cache';
import type { ITask, JsonValue } from '../domain/types';
import { inputKey, notebookDigest } from './input-key';

/** Notebook digests by the main notebook's content address (a job is mapped again and again). */
const digests = new Map<string, string>();

/**
 * The tasks of a map that the cache answers, by job_id, and every task's input key.
 * @param main the main notebook's content address, and how to read its content when its digest is not known
 */
export async function lookupMap(
  cache: ITaskCache,
  job: string,
  main: { sha256: string; content: () => Promise<{ sha256: string; content: unknown }> },
  params: Uint8Array[]
): Promise<{ keys: string[]; hits: Map<number, ICacheEntry> }> {
  let digest = digests.get(main.sha256);
  if (digest === undefined) {
    const read = await main.content();
    // replaced since the map looked it up: its keys would not be those of the tasks it renders
    if (read.sha256 !== main.sha256) return { keys: [], hits: new Map() };
    digest = notebookDigest(read.content);
    digests.set(main.sha256, digest);
    while (digests.size > 64) digests.delete(digests.keys().next().value as string);
  }
  const keys = params.map((p) => inputKey(digest, Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('utf8')));
  const found = await cache.lookup(job, keys);
  const hits = new Map<number, ICacheEntry>();
  keys.forEach((k, i) => {
    const entry = found.get(k);
    if (entry) hits.set(i, entry);
  });
  return { keys, hits };
}

/**
 * After a worker recorded an OK run of `task` (rendered as `notebook` from its parameter text
 * `param`): remember it for the task's input key. Reduce tasks are not cached (their input is
 * their group's results).
 */
export async function rememberOkRun(
  cache: ITaskCache,
  task: ITask,
  notebook: unknown,
  param: JsonText | undefined,
  returned: JsonValue | JsonText | undefined
): Promise<void> {
  if (task.run_status !== 'OK' || task.reduce_of || task.cached_from) return;
  const last = task.job_runs[task.job_runs.length - 1];
  const text = param ? param.text : new JsonText(JSON.stringify(task.param)).text;
  await cache.record(task.job, task, inputKey(notebookDigest(notebook), text), last?.results ?? null, returned);
}
