/**
 * nbgrid's system of record, seen through its ports: one property per port, and each operation
 * reachable through exactly one of them. Implemented by `NbgridStore` (MongoDB or FerretDB v1).
 * The job service depends on `notebooks` and `tasks`, a worker's task handler on `runs`.
 */
import type { INotebookRepository } from './notebook-repository';
import type { IRunRecorder } from './run-recorder';
import type { ITaskRepository } from './task-repository';

export interface IStorage {
  readonly notebooks: INotebookRepository;
  readonly tasks: ITaskRepository;
  readonly runs: IRunRecorder;
}
