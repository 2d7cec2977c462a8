/**
 * `nbgrid get <notebook> [-o file.ipynb]`: write a stored notebook (a main notebook, a task
 * notebook `tasks/<nb>/<group>-<i>.ipynb` rendered with its parameters, or a result notebook) to
 * a local file, as papermill users expect an output file. The default file name is the
 * notebook's last name segment made safe for any filesystem (no `:`).
 */
import * as fs from 'fs';
import type { Command } from 'commander';
import type { INotebookWithContent } from '../../domain/ports';
import { ApiClient, CliError } from '../api-client';
import { safeFileName } from '../safe-file-name';
import { terminalSafe } from '../terminal-text';

/** The notebook's file text as Jupyter writes it: JSON indented by one space, with a final newline. */
export function notebookFileText(content: unknown): string {
  return `${JSON.stringify(content, null, 1)}\n`;
}

export function registerGetCommand(program: Command): void {
  program
    .command('get <notebook>')
    .description('write a main, task or result notebook to a local .ipynb file')
    .option('-o, --output <file>', "the file to write ('-' for stdout); default: the notebook's last name segment, made filesystem-safe")
    .action(async (notebook: string, opts: { output?: string }) => {
      const path = `/api/notebooks/${notebook.split('/').map(encodeURIComponent).join('/')}`;
      const nb = await ApiClient.fromEnv().request<INotebookWithContent>('GET', path);
      const text = notebookFileText(nb.content);
      if (opts.output === '-') {
        process.stdout.write(text);
        return;
      }
      const file = opts.output ?? safeFileName(nb.name);
      try {
        fs.writeFileSync(file, text);
      } catch (err) {
        throw new CliError(`cannot write ${file}: ${(err as Error).message}`);
      }
      const cells = Array.isArray((nb.content as { cells?: unknown }).cells) ? (nb.content as { cells: unknown[] }).cells.length : 0;
      process.stdout.write(terminalSafe(`wrote ${nb.name} to ${file} (${cells} cells, ${Buffer.byteLength(text)} bytes)\n`));
    });
}
