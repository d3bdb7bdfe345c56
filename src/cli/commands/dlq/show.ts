import type { CommandModule } from 'yargs';
import { deadLetterEntryToJson } from '../../../dlq/entry.js';
import { DeadLetterNotFoundError } from '../../../dlq/errors.js';
import { ExitCode } from '../../exit.js';
import { print, printJson } from '../../output.js';
import type { CommonArgs } from '../../options.js';
import { handler } from '../../run.js';
import { renderEntry } from './render.js';
import { once } from '../../options.js';
import { withDeadLetterQueue, withDlqOptions } from './shared.js';

interface ShowArgs extends CommonArgs {
  'entry-id': string;
  tenant: string | undefined;
}

export const showCommand: CommandModule<object, ShowArgs> = {
  command: 'show <entry-id>',
  describe: 'Show a dead-lettered task: arguments, attempts, reason, error with stack',
  builder: (yargs) =>
    withDlqOptions(
      yargs.positional('entry-id', { type: 'string', demandOption: true, describe: 'Entry id <queue>:<job id>, as dlq list shows' }),
    ).option('tenant', {
      type: 'string',
      coerce: once('tenant'),
      requiresArg: true,
      describe: "Act for this tenant: another tenant's entry is answered as not found",
    }),
  handler: handler(async (argv) =>
    withDeadLetterQueue(argv, async (dlq) => {
      const entry = await dlq.get(argv.entryId, { tenantId: argv.tenant });
      if (!entry) throw new DeadLetterNotFoundError(argv.entryId);
      if (argv.json) printJson(deadLetterEntryToJson(entry));
      else print(renderEntry(entry));
      return ExitCode.Ok;
    }),
  ),
};
