import type { CommandModule } from 'yargs';
import { listCommand } from './list.js';
import { purgeCommand } from './purge.js';
import { replayCommand } from './replay.js';
import { showCommand } from './show.js';

/** `turbine dlq …`: the dead-letter queue, the same operations as the SDK's DeadLetterQueue. */
export const dlqCommand: CommandModule = {
  command: 'dlq',
  describe: 'Inspect, replay and purge dead-lettered tasks: list, show, replay, purge',
  builder: (yargs) =>
    yargs
      .command(listCommand)
      .command(showCommand)
      .command(replayCommand)
      .command(purgeCommand)
      .demandCommand(1, 'Choose a dlq command: list, show, replay or purge'),
  // Never reached: yargs runs a subcommand or fails.
  handler: () => undefined,
};
