import type { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { apiPlugin } from './api-plugin';
import { mainPlugin } from './plugin';
import { statusPlugin } from './status-plugin';
import { doneNotifierPlugin } from './done-notifier-plugin';

export { INbgridClient } from './tokens';
export { CommandIDs } from './command-ids';

const plugins: JupyterFrontEndPlugin<unknown>[] = [apiPlugin, mainPlugin, statusPlugin, doneNotifierPlugin];
export default plugins;
