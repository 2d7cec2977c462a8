import { Command } from 'commander';
import { ConfigError } from '../config';
import { CliError } from './api-client';
import { registerClientCommands } from './commands/client-commands';
import { registerGridCommands } from './commands/grid-commands';
import { registerHealthCommand } from './commands/health';
import { registerStackCommands } from './commands/stack-commands';
import { registerServeCommand } from './commands/serve';
import { registerWorkerCommand } from './commands/worker';
import { registerProgressCommands } from './commands/progress-commands';
import { registerGetCommand } from './commands/get';
import { registerScheduleCommands } from './commands/schedule';
import { terminalSafe } from './terminal-text';

export function buildProgram(): Command {
  const program = new Command('nbgrid')
    .description('Map a Jupyter notebook over many parameters on Celery-compatible workers.')
    .version(require('../../package.json').version as string);
  registerStackCommands(program);
  registerServeCommand(program);
  registerWorkerCommand(program);
  registerClientCommands(program);
  registerGridCommands(program);
  registerHealthCommand(program);
  registerProgressCommands(program);
  registerGetCommand(program);
  registerScheduleCommands(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(terminalSafe(`nbgrid: ${err instanceof CliError || err instanceof ConfigError ? err.message : (err as Error).stack ?? String(err)}\n`));
    process.exitCode = 2;
  }
}
