import type { IDocumentManager } from '@jupyterlab/docmanager';
import type { Contents } from '@jupyterlab/services';
import type { INbgridClient } from './tokens';

/**
 * Opens notebooks stored in nbgrid (task and result notebooks) in JupyterLab: fetches the content
 * through the API and saves a copy under a view directory of the Jupyter root, mirroring the
 * nbgrid name, so the ordinary notebook editor shows it with its outputs.
 */
export class StoredNotebookOpener {
  /**
   * @param viewDirectory - where copies go, relative to the Jupyter root
   * @defaultValue `'nbgrid-view'`
   */
  constructor(
    private readonly _client: INbgridClient,
    private readonly _contents: Contents.IManager,
    private readonly _docManager: IDocumentManager,
    public viewDirectory = 'nbgrid-view'
  ) {}

  /** Local path of the copy of an nbgrid notebook. */
  localPath(name: string): string {
    const file = name.endsWith('.ipynb') ? name : `${name}.ipynb`;
    return `${this.viewDirectory.replace(/\/+$/, '')}/${file}`;
  }

  async open(name: string): Promise<string> {
    const notebook = await this._client.getNotebook(name);
    const path = this.localPath(name);
    await this.ensureDirectories(path);
    await this._contents.save(path, { type: 'notebook', format: 'json', content: notebook.content });
    // A copy already open shows the refreshed content after a revert.
    const open = this._docManager.findWidget(path);
    if (open) {
      await open.context.revert();
    }
    this._docManager.openOrReveal(path);
    return path;
  }

  /** Creates the directories a copy at `path` goes in. */
  ensureDirectoriesOf(path: string): Promise<void> {
    return this.ensureDirectories(path);
  }

  private async ensureDirectories(path: string): Promise<void> {
    const parts = path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const directory = parts.slice(0, i).join('/');
      try {
        await this._contents.get(directory, { content: false });
      } catch {
        await this._contents.save(directory, { type: 'directory' });
      }
    }
  }
}
