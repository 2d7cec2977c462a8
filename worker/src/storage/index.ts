export { NbgridStore, type INbgridStoreOptions } from './nbgrid-store';
export { MongoConnection, isUnavailable, type IMongoConnectionOptions } from './mongo-connection';
export { BlobStore, INLINE_BLOB_LIMIT } from './blob-store';
export { NotebookStore } from './notebook-store';
export { TaskRepository } from './task-repository';
export { TaskRuns } from './task-runs';
export { Collections } from './collections';
export { StatusIndex, type IIndexedRow, type IStatusIndexOptions } from './status-index';
