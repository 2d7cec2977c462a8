import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { CommandIDs } from './command-ids';
import { DoneNotifier, setDoneNotifier } from './done-notifier';
import { INbgridClient } from './tokens';

/** Notifies when a map started from this JupyterLab finishes, panel open or not. */
export const doneNotifierPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbgrid:done-notifier',
  description: 'A notification with the OK / ERROR counts when a map started here finishes.',
  autoStart: true,
  requires: [INbgridClient],
  activate: (app: JupyterFrontEnd, client: INbgridClient): void => {
    setDoneNotifier(
      new DoneNotifier({
        eventsUrl: job => client.eventsUrl(job),
        openStatus: (job, taskGroup) => void app.commands.execute(CommandIDs.openStatus, { job, taskGroup })
      })
    );
  }
};
