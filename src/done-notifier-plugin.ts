import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { CommandIDs } from './command-ids';
import { DoneNotifier, setDoneNotifier } from './done-notifier';
import { OriginNotifier, originEventsUrl } from './origin-notifier';
import { INbgridClient } from './tokens';

/** Notifies when a map started from this JupyterLab (its Map button or its kernels) finishes, panel open or not. */
export const doneNotifierPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbgrid:done-notifier',
  description: 'A notification with the OK / ERROR counts when a map started here finishes.',
  autoStart: true,
  requires: [INbgridClient],
  activate: (app: JupyterFrontEnd, client: INbgridClient): void => {
    const notifier = new DoneNotifier({
      eventsUrl: job => client.eventsUrl(job),
      openStatus: (job, taskGroup) => void app.commands.execute(CommandIDs.openStatus, { job, taskGroup })
    });
    setDoneNotifier(notifier);
    // Maps started by this JupyterLab's kernels carry its id (the server extension's lab_origin).
    void client
      .config()
      .then(config => {
        if (config.lab_origin) {
          const origin = config.lab_origin;
          new OriginNotifier({ origin, url: originEventsUrl(client.serverSettings, origin), show: event => notifier.show(event) }).start();
        }
      })
      .catch(() => undefined); // no id: only the Map button's maps are announced
  }
};
