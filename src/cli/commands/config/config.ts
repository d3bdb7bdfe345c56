import type { CommandModule } from 'yargs';
import { printCommand } from './print.js';
import { validateCommand } from './validate.js';

/** `turbine config …`: the worker's configuration as `turbine-worker` would see it. */
export const configCommand: CommandModule = {
  command: 'config',
  describe: 'Show and check the worker configuration: print, validate',
  builder: (yargs) =>
    yargs
      .command(printCommand)
      .command(validateCommand)
      .demandCommand(1, 'Choose a config command: print or validate'),
  // Never reached: yargs runs a subcommand or fails.
  handler: () => undefined,
};
