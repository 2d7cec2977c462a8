import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, Notification, WidgetTracker } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { CommandIDs } from './command-ids';
import { NbgridError } from './errors';
import { nbgridIcon } from './icons';
import { jobName } from './job-name';
import { StatusModel } from './status-model';
import { confirmWithDialog, StatusPanel } from './status-panel';
import { StoredNotebookOpener } from './stored-notebook-opener';
import { PartialNotebookOpener } from './partial-notebook-opener';
import { INbgridClient } from './tokens';

const SETTINGS_ID = 'jupyterlab-nbgrid:plugin';

/** The status panel: one main-area tab per job, restored after a reload. */
export const statusPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbgrid:status-panel',
  description: 'Live status of nbgrid jobs: progress, tasks, restart, reset, cancel, open task and result notebooks.',
  autoStart: true,
  requires: [INbgridClient, IDocumentManager],
  optional: [ILayoutRestorer, ICommandPalette, INotebookTracker, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    client: INbgridClient,
    docManager: IDocumentManager,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    settingRegistry: ISettingRegistry | null
  ): void => {
    const opener = new StoredNotebookOpener(client, app.serviceManager.contents, docManager);
    if (settingRegistry) {
      void Promise.all([app.restored, settingRegistry.load(SETTINGS_ID)])
        .then(([, settings]) => {
          const follow = () => {
            opener.viewDirectory = (settings.get('viewDirectory').composite as string) || 'nbgrid-view';
          };
          follow();
          settings.changed.connect(follow);
        })
        .catch(reason => Notification.warning(`nbgrid settings could not be loaded: ${reason}`));
    }
    const tracker = new WidgetTracker<MainAreaWidget<StatusPanel>>({ namespace: 'nbgrid-status' });
    const partials = new PartialNotebookOpener(client, app.serviceManager.contents, docManager, opener);

    const openStored = async (name: string) => {
      try {
        await opener.open(name);
      } catch (error) {
        Notification.error(
          `Cannot open ${name}: ${error instanceof NbgridError ? error.message : String(error)}`,
          { autoClose: 8000 }
        );
      }
    };

    app.commands.addCommand(CommandIDs.openStored, {
      label: args => (args.name ? `Open ${args.name}` : 'Open nbgrid Notebook'),
      caption: 'Open a task or result notebook stored in nbgrid',
      execute: args => openStored(args.name as string)
    });

    app.commands.addCommand(CommandIDs.openStatus, {
      label: 'nbgrid Status',
      caption: 'Show the live status of the current notebook’s nbgrid job',
      icon: nbgridIcon,
      isEnabled: args => Boolean(args.job) || Boolean(notebooks?.currentWidget),
      execute: async args => {
        const job =
          (args.job as string | undefined) ??
          (notebooks?.currentWidget ? jobName(app.serviceManager.contents.localPath(notebooks.currentWidget.context.path)) : undefined);
        if (!job) {
          Notification.warning('Open a notebook first: the status panel shows the job of a notebook.');
          return;
        }
        const taskGroup = args.taskGroup as string | undefined;
        const existing = tracker.find(widget => widget.content.model.job === job);
        if (existing) {
          app.shell.activateById(existing.id);
          if (taskGroup) {
            await existing.content.model.expand(taskGroup);
          } else {
            await existing.content.model.refresh();
          }
          return existing;
        }
        const model = new StatusModel({ client, job, taskGroup });
        const content = new StatusPanel(model, {
          openNotebook: name => void openStored(name),
          confirm: confirmWithDialog,
          openPartial: row =>
            void partials.open(job, row.name).catch(error =>
              Notification.error(`Cannot open the notebook so far of ${row.name}: ${error instanceof NbgridError ? error.message : String(error)}`, {
                autoClose: 8000
              })
            )
        });
        const widget = new MainAreaWidget({ content });
        widget.id = `nbgrid-status-${job.replace(/[^A-Za-z0-9_-]/g, '_')}`;
        widget.title.label = `nbgrid: ${job}`;
        widget.title.caption = `nbgrid status of ${job}`;
        widget.title.icon = nbgridIcon;
        widget.title.closable = true;
        void tracker.add(widget);
        app.shell.add(widget, 'main', { mode: 'split-right' });
        app.shell.activateById(widget.id);
        await model.start();
        return widget;
      }
    });

    palette?.addItem({ command: CommandIDs.openStatus, category: 'nbgrid' });

    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.openStatus,
        args: widget => ({ job: widget.content.model.job }),
        name: widget => widget.content.model.job
      });
    }
  }
};
