import type { CommandModule } from 'yargs';
import { ExitCode, UsageError } from '../../exit.js';
import { print, printJson, printNotice } from '../../output.js';
import { once, type CommonArgs } from '../../options.js';
import { confirm } from '../../prompt.js';
import { handler } from '../../run.js';
import { parseDuration } from './duration.js';
import { describeFilter, plural, withDeadLetterQueue, withDlqOptions, withFilterOptions, type FilterArgs } from './shared.js';

interface PurgeArgs extends CommonArgs, FilterArgs {
  'older-than': string | undefined;
  force: boolean;
}

export const purgeCommand: CommandModule<object, PurgeArgs> = {
  command: 'purge',
  describe: 'Delete dead-letter entries for good: all, or of a tenant / queue / age',
  builder: (yargs) =>
    withFilterOptions(withDlqOptions(yargs))
      .option('older-than', {
        type: 'string',
        coerce: once('older-than'),
        requiresArg: true,
        describe: 'Only entries dead-lettered longer ago than this, e.g. 30m, 12h, 7d',
      })
      .option('force', { type: 'boolean', default: false, describe: 'Do not ask for confirmation' }),
  handler: handler(async (argv) => {
    const olderThan = argv.olderThan;
    const options = {
      tenantId: argv.tenant,
      queue: argv.queue,
      olderThanMs: olderThan === undefined ? undefined : parseDuration('older-than', olderThan),
    };
    const which = `${describeFilter(options)}${olderThan === undefined ? '' : ` older than ${olderThan}`}`;
    // A script must say what it means: with no one to answer, asking would hang or guess.
    if (!argv.force && !process.stdin.isTTY) {
      throw new UsageError(`Not purging dead-letter entries${which} without confirmation: stdin is not a terminal; pass --force`);
    }
    return withDeadLetterQueue(argv, async (dlq) => {
      if (!argv.force) {
        // Counted before asking, so that nobody confirms without knowing how much goes.
        const count = await dlq.count(options);
        if (count === 0) {
          if (argv.json) printJson({ purged: 0 });
          else print(`No dead-letter entries${which}; nothing purged.`);
          return ExitCode.Ok;
        }
        const agreed = await confirm(`Purge ${plural(count, 'dead-letter entry', 'dead-letter entries')}${which}?`, {
          input: process.stdin,
          output: process.stderr,
        });
        if (!agreed) {
          printNotice('Aborted: nothing was purged');
          return ExitCode.Failure;
        }
      }
      const purged = await dlq.purge(options);
      if (argv.json) printJson({ purged });
      else print(`Purged ${plural(purged, 'dead-letter entry', 'dead-letter entries')}`);
      return ExitCode.Ok;
    });
  }),
};
