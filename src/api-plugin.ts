import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { NbgridClient } from './api-client';
import { INbgridClient } from './tokens';

/** Provides the one nbgrid API client every view uses. */
export const apiPlugin: JupyterFrontEndPlugin<INbgridClient> = {
  id: 'jupyterlab-nbgrid:api',
  description: 'The typed client of the nbgrid REST API, through the nbgrid server extension.',
  autoStart: true,
  provides: INbgridClient,
  activate: (app: JupyterFrontEnd): INbgridClient => new NbgridClient(app.serviceManager.serverSettings)
};
