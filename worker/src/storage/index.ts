export { NbgridStore, type INbgridStoreOptions } from './nbgrid-store';
export { MongoConnection, isUnavailable, type IMongoConnectionOptions } from './mongo-connection';
export { BlobStore, INLINE_BLOB_LIMIT } from './blob-store';
export { NotebookStore } from './notebook-store';
export { TaskStore, ACTIVE_STATES, type ITaskSummaryDoc, type ITaskRestart } from './task-store';
export { Collections } from './collections';
export { encodeJson, decodeJson, assertJson, sha256 } from './json-bytes';
export { StatusIndex, type IIndexedRow, type IStatusIndexOptions } from './status-index';
