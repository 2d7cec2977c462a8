import { Command } from 'commander';
import { loadConfig } from '../../config';
import { downStack, parseKernelLaunch, readStack, upStack, type KernelLaunchMode } from '../../stack';
import { nbgridHome } from '../../stack/paths';
import { CliError } from '../api-client';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerStackCommands(program: Command): void {
  program
    .command('up')
    .description('start Redis, MongoDB (FerretDB), a Kernel Gateway, the API service and workers; write stack.json')
    .option('--workers <n>', 'workers to start', Number, 2)
    .option('--concurrency <n>', 'tasks each worker runs at once', Number, 1)
    .option('--label <label>', 'label of the local workers besides default (repeatable)', collect, [])
    .option('--no-service', 'start the services without the API service')
    .option(
      '--kernel-launch <mode>',
      'spawn | fork: how the Kernel Gateway starts python3 kernels; fork forks each new kernel process from a server that imported ipykernel once (default spawn, or NBGRID_KERNEL_LAUNCH)'
    )
    .action(async (opts: { workers: number; concurrency: number; label: string[]; service: boolean; kernelLaunch?: string }) => {
      let kernelLaunch: KernelLaunchMode;
      try {
        kernelLaunch = parseKernelLaunch(opts.kernelLaunch ?? loadConfig().kernelLaunch);
      } catch (err) {
        throw new CliError(`--kernel-launch (or NBGRID_KERNEL_LAUNCH): ${(err as Error).message}`);
      }
      const home = nbgridHome();
      const existing = readStack(home);
      if (existing) {
        throw new CliError(`a stack is already described in ${home}/stack.json (API ${existing.api_url}): run \`nbgrid down\` first`);
      }
      const stack = await upStack({
        home,
        workers: opts.workers,
        concurrency: opts.concurrency,
        labels: opts.label,
        service: opts.service,
        kernelLaunch,
        detached: true,
        log: (line) => process.stdout.write(`  ${line}\n`)
      });
      process.stdout.write(`nbgrid is up: ${stack.info.api_url} (connection details in ${home}/stack.json)\n`);
    });

  program
    .command('down')
    .description('stop everything `nbgrid up` started')
    .action(async () => {
      const home = nbgridHome();
      const stopped = await downStack(home);
      process.stdout.write(stopped.length ? `stopped ${stopped.join(', ')}\n` : `nothing was running (${home})\n`);
    });
}
