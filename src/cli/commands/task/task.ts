import type { CommandModule } from 'yargs';
import { cancelCommand } from './cancel.js';
import { listCommand } from './list.js';
import { showCommand } from './show.js';

/** `turbine task …`: look at a tenant's tasks, held ones included, and cancel one. */
export const taskCommand: CommandModule = {
  command: 'task',
  describe: "Look at and cancel a tenant's tasks: list, show, cancel",
  builder: (yargs) =>
    yargs
      .command(listCommand)
      .command(showCommand)
      .command(cancelCommand)
      .demandCommand(1, 'Choose a task command: list, show or cancel'),
  // Never reached: yargs runs a subcommand or fails.
  handler: () => undefined,
};
