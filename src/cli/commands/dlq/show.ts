import type { CommandModule } from 'yargs';
import { deadLetterEntryToJson } from '../../../dlq/entry.js';
import { DeadLetterNotFoundError } from '../../../dlq/errors.js';
import { ExitCode } from '../../exit.js';
import { print, printJson } from '../../output.js';
import type { CommonArgs } from '../../options.js';
import { handler } from '../../run.js';
import { renderEntry } from './render.js';
import { withDeadLetterQueue, withDlqOptions } from './shared.js';

interface ShowArgs extends CommonArgs {
  'entry-id': string;
}

export const showCommand: CommandModule<object, ShowArgs> = {
  command: 'show <entry-id>',
  describe: 'Show a dead-lettered task: arguments, attempts, reason, error with stack',
  builder: (yargs) =>
    withDlqOptions(
      yargs.positional('entry-id', { type: 'string', demandOption: true, describe: 'Entry id <queue>:<task id>, as dlq list shows' }),
    ),
  handler: handler(async (argv) =>
    withDeadLetterQueue(argv, async (dlq) => {
      const entry = await dlq.get(argv.entryId);
      if (!entry) throw new DeadLetterNotFoundError(argv.entryId);
      if (argv.json) printJson(deadLetterEntryToJson(entry));
      else print(renderEntry(entry));
      return ExitCode.Ok;
    }),
  ),
};
