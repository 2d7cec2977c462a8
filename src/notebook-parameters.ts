import type { INbgridClient } from './tokens';
import type { INotebookParameter } from './types';

/**
 * The parameters of the notebook being mapped, as the service reads its `parameters` cell
 * (papermill's rules, one reader for every client). The content in the editor is stored first, so
 * the dialog offers what is on screen, not an older stored version; storing is content-addressed
 * and the map stores the same content again. Empty when the service cannot tell: the dialog then
 * offers the plain parameter list only.
 */
export async function notebookParameters(client: INbgridClient, job: string, content: unknown): Promise<INotebookParameter[]> {
  if (!client.parameters) {
    return [];
  }
  try {
    await client.putNotebook(job, content);
    return (await client.parameters(job)).parameters;
  } catch {
    return [];
  }
}
