/** MongoDB collection names nbgrid uses, in one place. */
export const Collections = {
  /** Content-addressed JSON blobs up to `INLINE_BLOB_LIMIT`: `{_id: sha256, size, data: Binary}`. */
  blobs: 'blobs',
  /** GridFS bucket for larger blobs (`<bucket>.files`, `<bucket>.chunks`); file name = sha256. */
  blobBucket: 'blob_files',
  /** Main notebooks: `{_id: name, sha256, size, language, kernel, created, modified}`. */
  notebooks: 'notebooks',
  /** One document per `map()` call. */
  taskGroups: 'task_groups',
  /** One document per task (parameter of a map). */
  tasks: 'tasks',
  /**
   * Short-lived write locks `{_id: '<task>', at}` of task documents (see `task-locks.ts`):
   * FerretDB v1's conditional updates are not atomic.
   */
  taskLocks: 'task_locks',
  /** Result notebooks: `{_id: result name, task_name, job, task_group, job_id, sha256, size, created}`. */
  results: 'results',
  /**
   * One entry per queued or running task attempt `{_id: task_id, task, task_group, at}`, read by
   * the reconciler instead of every task (see `active-tasks.ts`).
   */
  activeTasks: 'active_tasks',
  /** One-time changes of the stored data done: `{_id: name, at}`. */
  migrations: 'migrations',
  /** Reduce steps of maps: `{_id: task group, job, notebook, when, require, ...}` (see `reduce-rounds.ts`). */
  reduceSpecs: 'reduce_specs',
  /** Reduce rounds: `{_id: '<group>:reduce:<round>', ...}`, inserted once per round (the exactly-once transition). */
  reduceRounds: 'reduce_rounds',
  /** Input keys with an OK run: `{_id: '<job>:<input key>', task, ...}` (see `task-cache.ts`). */
  taskCache: 'task_cache',
  /** Schedules: `{_id: id, job, cron, tz, body: Binary (the map body's JSON), catchup, keep_last, paused, ...}`. */
  schedules: 'schedules',
  /**
   * One claim per schedule occurrence `{_id: '<schedule>:<occurrence ISO>', task_group, state}`:
   * its unique `_id` is what makes one API service, not two, submit the occurrence's map.
   */
  scheduleRuns: 'schedule_runs'
} as const;
