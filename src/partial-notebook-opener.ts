/**
 * Opens a running task's notebook as executed so far: a read-only copy (every cell `editable:
 * false`) saved beside the other copies of nbgrid notebooks; opening it again refreshes it.
 */
import type { IDocumentManager } from '@jupyterlab/docmanager';
import type { Contents } from '@jupyterlab/services';
import type { StoredNotebookOpener } from './stored-notebook-opener';
import type { INbgridClient } from './tokens';

export class PartialNotebookOpener {
  constructor(
    private readonly _client: INbgridClient,
    private readonly _contents: Contents.IManager,
    private readonly _docManager: IDocumentManager,
    private readonly _stored: StoredNotebookOpener
  ) {}

  /** Local path of the copy: `<view directory>/partial/<task name>-so-far.ipynb`. */
  localPath(taskName: string): string {
    return this._stored.localPath(`partial/${taskName.replace(/\.ipynb$/, '')}-so-far`);
  }

  async open(job: string, taskName: string): Promise<string> {
    if (!this._client.partial) {
      throw new Error('this nbgrid client cannot fetch partial notebooks');
    }
    const partial = await this._client.partial(job, taskName);
    const content = partial.content as { cells?: { metadata?: Record<string, unknown> }[]; metadata?: Record<string, unknown> };
    for (const cell of content.cells ?? []) {
      cell.metadata = { ...(cell.metadata ?? {}), editable: false, deletable: false };
    }
    content.metadata = { ...(content.metadata ?? {}), nbgrid: { partial: true, task: taskName, ts: partial.ts } };
    const path = this.localPath(taskName);
    await this._stored.ensureDirectoriesOf(path);
    await this._contents.save(path, { type: 'notebook', format: 'json', content });
    const open = this._docManager.findWidget(path);
    if (open) {
      await open.context.revert();
    }
    this._docManager.openOrReveal(path);
    return path;
  }
}
