import { once as eventOnce } from 'node:events';
import { createServer } from 'node:http';
import type { CommandModule } from 'yargs';
import { redactUrl, resolveBackendUrl } from '../../store/connection.js';
import { ExitCode, UsageError } from '../exit.js';
import { once } from '../options.js';
import { print, printNotice } from '../output.js';
import { handler } from '../run.js';

interface UiArgs {
  port: number;
  host: string;
  'backend-url': string | undefined;
  prefix: string | undefined;
  shards: number | undefined;
  'refresh-ms': number;
}

/**
 * `turbine ui`: serves the web console until Ctrl-C (or SIGTERM in a container). Actions need
 * `TURBINE_UI_TOKEN`; without it the console is read-only.
 */
export const uiCommand: CommandModule<object, UiArgs> = {
  command: 'ui',
  describe: 'Serve the web console: tenants, queues, dead letters and workers',
  builder: (yargs) =>
    yargs
      .option('port', { type: 'number', default: 9470, describe: 'Port to listen on (0: any free port)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on (0.0.0.0 in a container)' })
      .option('backend-url', {
        type: 'string',
        coerce: once('backend-url'),
        requiresArg: true,
        describe: 'Redis URL: redis://[:password@]host[:port][/db], redis+sentinel://host:port,…/<master-name>, redis+cluster://host:port,… (rediss… for TLS)',
        defaultDescription: '$TURBINE_BACKEND_URL, else redis://localhost:6379',
      })
      .option('prefix', {
        type: 'string',
        coerce: once('prefix'),
        requiresArg: true,
        describe: 'Prefix of every Turbine key in Redis',
        defaultDescription: '$TURBINE_PREFIX, else turbine',
      })
      .option('shards', {
        type: 'number',
        requiresArg: true,
        describe: 'Shards the tenants are spread over ({prefix-0} … {prefix-N-1}); the same as the workers’',
        defaultDescription: '$TURBINE_SHARDS, else 1',
      })
      .option('refresh-ms', { type: 'number', default: 2000, describe: 'How often pages refresh (one Redis reading per interval)' }),
  handler: handler(async (argv) => {
    if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535) {
      throw new UsageError(`Invalid --port ${argv.port}: expected a port number from 0 to 65535`);
    }
    if (!Number.isInteger(argv.refreshMs) || argv.refreshMs < 250) {
      throw new UsageError(`Invalid --refresh-ms ${argv.refreshMs}: expected at least 250`);
    }
    // Loaded here, not with the CLI: other commands do not pay for the console's modules.
    const { createConsole } = await import('../../ui/console.js');
    const web = createConsole({ backendUrl: argv.backendUrl, prefix: argv.prefix, shards: argv.shards, refreshMs: argv.refreshMs });
    const server = createServer(web);
    server.listen(argv.port, argv.host);
    await eventOnce(server, 'listening');
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : argv.port;
    print(`Turbine console on http://${argv.host}:${port}/ (Redis ${redactUrl(resolveBackendUrl(argv.backendUrl))})`);
    if (!process.env.TURBINE_UI_TOKEN) printNotice('Read-only: set TURBINE_UI_TOKEN to allow changes from the console.');
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    server.close();
    server.closeAllConnections();
    await web.close();
    return ExitCode.Ok;
  }),
};
