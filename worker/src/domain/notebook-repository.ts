/** What the job service needs of the stored main and result notebooks (implemented by storage). */
import type { INotebookWithContent } from './ports';
import type { INotebookInfo } from './types';

/** A main notebook's record: what `map()` checks before it stores anything. */
export interface IMainNotebook extends INotebookInfo {
  /** Kernel language, e.g. `python`. */
  language: string;
  /** Kernel name, e.g. `python3`. */
  kernel: string;
}

export interface INotebookRepository {
  /** Store a main notebook (already validated) under `name`, replacing an earlier version. */
  put(name: string, content: Record<string, unknown>): Promise<INotebookInfo>;
  /** A main notebook with its content. @throws NotFoundError */
  get(name: string): Promise<INotebookWithContent>;
  /** A main notebook's record without its content. @throws NotFoundError */
  describe(name: string): Promise<IMainNotebook>;
  /** Main notebooks whose name starts with `prefix`, by name. */
  list(prefix: string): Promise<INotebookInfo[]>;
  /** @throws NotFoundError */
  delete(name: string): Promise<void>;
  /** A result notebook with its content. @throws NotFoundError */
  getResult(name: string): Promise<INotebookWithContent>;
  /** Result notebooks whose name starts with `prefix`, by name. */
  listResults(prefix: string): Promise<INotebookInfo[]>;
  /** @throws NotFoundError */
  deleteResult(name: string): Promise<void>;
}
