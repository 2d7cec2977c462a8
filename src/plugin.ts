import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { CommandIDs } from './command-ids';
import { nbgridIcon } from './icons';
import { jobName } from './job-name';
import { askMapRequest, type IMapForm } from './map-dialog';
import { notebookParameters } from './notebook-parameters';
import { reportFailure } from './report-failure';
import { saveSchedule } from './schedule-save';
import { INbgridClient } from './tokens';
import type { IMapResult, IWorkerInfo } from './types';
import { watchMap } from './done-notifier';

const PLUGIN_ID = 'jupyterlab-nbgrid:plugin';

/** Settings of the plugin, as declared in schema/plugin.json. */
export interface INbgridSettings {
  defaultRequire: string;
  openPanelAfterMap: boolean;
  viewDirectory: string;
}

const DEFAULT_SETTINGS: INbgridSettings = { defaultRequire: '', openPanelAfterMap: true, viewDirectory: 'nbgrid-view' };

/**
 * Maps a notebook: asks the parameters, saves the notebook, stores it in nbgrid as the main
 * notebook named after its path, and maps it. Resolves to the map result, or null if cancelled.
 */
export async function mapNotebook(
  panel: NotebookPanel,
  client: INbgridClient,
  job: string,
  settings: INbgridSettings,
  lastForm: IMapForm
): Promise<{ result: IMapResult; form: IMapForm } | null> {
  let workers: IWorkerInfo[];
  try {
    workers = await client.workers();
  } catch (error) {
    await reportFailure('Cannot list nbgrid workers', error);
    return null;
  }
  const initial = { ...lastForm, require: lastForm.require || settings.defaultRequire };
  const parameters = await notebookParameters(client, job, panel.context.model.toJSON());
  const asked = await askMapRequest(job, workers, initial, parameters);
  if (!asked) {
    return null;
  }
  const { request, form } = asked;
  try {
    await panel.context.save();
    await client.putNotebook(job, panel.context.model.toJSON());
    if (asked.schedule) {
      await saveSchedule(client, job, request, asked.schedule);
      return null;
    }
    const result = await client.map(job, request);
    return { result, form };
  } catch (error) {
    await reportFailure(`Cannot map ${job}`, error);
    return null;
  }
}

/** Commands and settings: Map notebook (toolbar, palette, context menu, Run menu). */
export const mainPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Map the current notebook over parameters on nbgrid workers.',
  autoStart: true,
  requires: [INotebookTracker, INbgridClient],
  optional: [ISettingRegistry, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    client: INbgridClient,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null
  ): void => {
    let settings = { ...DEFAULT_SETTINGS };
    let lastForm: IMapForm = { parameters: 'range(10)', require: '', cellTimeout: '' };
    if (settingRegistry) {
      void Promise.all([app.restored, settingRegistry.load(PLUGIN_ID)])
        .then(([, loaded]) => {
          const follow = () => {
            settings = { ...DEFAULT_SETTINGS, ...(loaded.composite as Partial<INbgridSettings>) };
          };
          follow();
          loaded.changed.connect(follow);
        })
        .catch(reason => Notification.warning(`nbgrid settings could not be loaded: ${reason}`));
    }

    app.commands.addCommand(CommandIDs.map, {
      label: args => (args.toolbar ? 'Map' : 'Map Notebook over Parameters…'),
      caption: 'Run this notebook once per parameter on nbgrid workers',
      icon: nbgridIcon,
      isEnabled: () => notebooks.currentWidget !== null,
      execute: async () => {
        const panel = notebooks.currentWidget;
        if (!panel) {
          Notification.warning('Open a notebook to map it.');
          return;
        }
        const job = jobName(app.serviceManager.contents.localPath(panel.context.path));
        const mapped = await mapNotebook(panel, client, job, settings, lastForm);
        if (!mapped) {
          return;
        }
        const { result } = mapped;
        lastForm = mapped.form;
        watchMap(job, result.task_group);
        for (const warning of result.warnings) {
          Notification.warning(warning, { autoClose: 10000 });
        }
        Notification.success(`Mapped ${job}: ${result.count} tasks in group ${result.task_group}.`, {
          autoClose: 5000,
          actions: [
            {
              label: 'Show status',
              callback: () => void app.commands.execute(CommandIDs.openStatus, { job, taskGroup: result.task_group })
            }
          ]
        });
        if (settings.openPanelAfterMap) {
          await app.commands.execute(CommandIDs.openStatus, { job, taskGroup: result.task_group });
        }
      }
    });

    // The toolbar button asks isEnabled when drawn, which can be before the tracker knows its notebook.
    notebooks.currentChanged.connect(() => app.commands.notifyCommandChanged(CommandIDs.map));

    palette?.addItem({ command: CommandIDs.map, category: 'nbgrid' });
  }
};
