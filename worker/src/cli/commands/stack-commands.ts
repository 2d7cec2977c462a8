import { Command } from 'commander';
import { writeLogLine } from '../terminal-text';
import { loadConfig } from '../../config';
import * as path from 'path';
import { downStack, parseKernelLaunch, parsePreload, readStack, repairStack, stackFile, upStack, type KernelLaunchMode } from '../../stack';
import { nbgridHome } from '../../stack/paths';
import { findStackFile } from '../../stack/service-discovery';
import { CliError, resolveEndpoint } from '../api-client';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerStackCommands(program: Command): void {
  program
    .command('up')
    .description(
      'start Redis, MongoDB (FerretDB), a Kernel Gateway, the API service and workers; write stack.json. ' +
        'With a stack already described there, restart what of it is down and keep what runs'
    )
    .option('--workers <n>', 'workers to start', Number, 2)
    .option('--concurrency <n>', 'tasks each worker runs at once (default 1, or one per GPU slot on a worker that has GPUs)', Number)
    .option('--label <label>', 'label of the local workers besides default (repeatable)', collect, [])
    .option('--no-service', 'start the services without the API service')
    .option(
      '--kernel-launch <mode>',
      'fork | spawn: how the Kernel Gateway starts python3 kernels; fork (the default, or NBGRID_KERNEL_LAUNCH) forks each new kernel ' +
        'process from a server that imported ipykernel once, and falls back to spawn where that server cannot start; spawn starts a fresh Python per kernel'
    )
    .option(
      '--preload <modules>',
      'comma-separated modules the kernel fork server imports once, so forked kernels start with them (e.g. numpy,pandas; fork mode; default NBGRID_PRELOAD)'
    )
    .action(async (opts: { workers: number; concurrency?: number; label: string[]; service: boolean; kernelLaunch?: string; preload?: string }) => {
      let kernelLaunch: KernelLaunchMode;
      let preload: string[];
      try {
        kernelLaunch = parseKernelLaunch(opts.kernelLaunch ?? loadConfig().kernelLaunch);
      } catch (err) {
        throw new CliError(`--kernel-launch (or NBGRID_KERNEL_LAUNCH): ${(err as Error).message}`);
      }
      try {
        preload = opts.preload !== undefined ? parsePreload(opts.preload) : loadConfig().preload;
      } catch (err) {
        throw new CliError(`--preload (or NBGRID_PRELOAD): ${(err as Error).message}`);
      }
      if (preload.length && kernelLaunch === 'spawn') {
        throw new CliError('--preload (or NBGRID_PRELOAD) needs the fork kernel launch mode: a spawned kernel imports everything itself');
      }
      const home = nbgridHome();
      const existing = readStack(home);
      if (existing) {
        // Repair: the options of the first `up` (kept in stack.json) apply, not this call's.
        const { restarted, kept } = await repairStack(home, existing, (line) => process.stdout.write(`  ${line}\n`));
        process.stdout.write(
          restarted.length
            ? `nbgrid is up again: restarted ${restarted.join(', ')}; kept ${kept.join(', ') || 'nothing'} (${existing.api_url})\n`
            : `nbgrid is up already: ${kept.join(', ')} running (${existing.api_url}); \`nbgrid down\` stops it\n`
        );
        return;
      }
      const stack = await upStack({
        home,
        workers: opts.workers,
        concurrency: opts.concurrency,
        labels: opts.label,
        service: opts.service,
        kernelLaunch,
        preload,
        detached: true,
        log: (line) => writeLogLine(process.stdout, line, '  ')
      });
      process.stdout.write(`nbgrid is up: ${stack.info.api_url} (connection details in ${stackFile(home)})\n`);
      const shadow = foundInstead(stackFile(home));
      if (shadow) process.stdout.write(`note: from ${process.cwd()} the clients find ${shadow} first (see "Finding the service" in the README)\n`);
    });

  program
    .command('down')
    .description('stop everything `nbgrid up` started (the stack the clients find from here)')
    .action(async () => {
      const home = stackHomeFoundHere();
      const stopped = await downStack(home);
      process.stdout.write(stopped.length ? `stopped ${stopped.join(', ')}\n` : `nothing was running (${home})\n`);
    });
}

/** The source the clients would use from here when it is not `written` (a nearer or explicit stack), else null. */
function foundInstead(written: string): string | null {
  try {
    const { source } = resolveEndpoint();
    return source.startsWith(written) ? null : source;
  } catch {
    return null;
  }
}

/** The folder of the stack file the clients find from here (NBGRID_URL aside: a URL names no processes). */
function stackHomeFoundHere(): string {
  try {
    const file = findStackFile();
    return file ? path.dirname(file) : nbgridHome();
  } catch {
    return nbgridHome();
  }
}
