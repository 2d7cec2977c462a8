import { showErrorMessage } from '@jupyterlab/apputils';
import { START_HINT } from './api-client';
import { NbgridError } from './errors';

/**
 * Shows why nbgrid could not be used. Unavailable backends get a dialog titled by the answer's hint
 * code (service not running, MongoDB or Redis down) with its fix; without a hint, how to start it.
 */
export async function reportFailure(what: string, error: unknown): Promise<void> {
  if (error instanceof NbgridError && error.unreachable) {
    const fix = error.hint?.fix ?? START_HINT;
    const message = error.message.includes(fix) ? error.message : `${error.message}\n\n${fix}`;
    await showErrorMessage(error.title, message);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  await showErrorMessage(what, message);
}
