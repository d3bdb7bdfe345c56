import yargs from 'yargs';
import { configCommand } from './commands/config/config.js';
import { devCommand } from './commands/dev.js';
import { tenantCommand } from './commands/tenant.js';
import { dlqCommand } from './commands/dlq/dlq.js';
import { uiCommand } from './commands/ui.js';
import { taskCommand } from './commands/task/task.js';
import { usageCommand } from './commands/usage/report.js';
import { errorLine, exitCodeFor, usageErrorFrom } from './exit.js';
import { knownFlags, suggestFlags } from './flag-suggestion.js';
import { CliRun, runContext } from './run.js';

/**
 * The `turbine` command. Each command is a module registered here explicitly; handlers return
 * the exit code: 0 ok, 1 failure (e.g. not found), 2 bad usage or bad input. Every error, from
 * yargs or from a handler, ends here and is printed as one line `Error: <message>`.
 */
export async function runCli(argv: string[]): Promise<number> {
  const run = new CliRun();
  const parser = yargs(argv)
    .scriptName('turbine')
    .command(tenantCommand)
    .command(devCommand)
    .command(configCommand)
    .command(dlqCommand)
    .command(uiCommand)
    .command(taskCommand)
    .command(usageCommand)
    .strict()
    .demandCommand(1, 'Choose a command, e.g. turbine tenant list')
    .recommendCommands()
    .help()
    // Return to the caller after --help or --version instead of exiting, so that runCli stays testable.
    .exitProcess(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, error, context) => {
      // yargs calls this for its own usage errors (a message, or a YError for a flag missing its
      // value) and for errors thrown by handlers, which pass through unchanged.
      if (error && error.name !== 'YError') throw error;
      throw usageErrorFrom(suggestFlags(error?.message ?? message, knownFlags(context), argv));
    });
  try {
    await parser.parseAsync(argv, runContext(run));
  } catch (error) {
    console.error(errorLine(error));
    return exitCodeFor(error);
  }
  return run.exitCode;
}
