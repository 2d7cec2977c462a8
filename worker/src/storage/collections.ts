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
   * Short-lived claims `{_id: '<task>#<runs_total>', at}` of the next slot of a task's run
   * history (see `history-claims.ts`): FerretDB v1's conditional updates are not atomic.
   */
  historyClaims: 'task_history_claims',
  /** Result notebooks: `{_id: result name, task_name, job, task_group, job_id, sha256, size, created}`. */
  results: 'results'
} as const;
