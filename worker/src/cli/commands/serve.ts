import { Command } from 'commander';
import { composeApiService } from '../../compose';
import { loadConfig } from '../../config';
import { startServer } from '../../service';
import { integerOption } from '../integer-option';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the nbgrid API service (configuration from NBGRID_* variables, see README)')
    .option('--host <host>', 'interface to bind (default NBGRID_HOST or 127.0.0.1)')
    .option('--port <port>', 'port (default NBGRID_PORT or 8765)', integerOption(0, 65535))
    .action(async (opts: { host?: string; port?: number }) => {
      const config = loadConfig();
      const service = await composeApiService(config);
      const server = await startServer({
        app: service.app,
        host: opts.host ?? config.host,
        port: opts.port ?? config.port,
        onSignalClose: () => service.close()
      });
      process.stdout.write(`nbgrid API service listening on ${server.url}\n`);
    });
}
