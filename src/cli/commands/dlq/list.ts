import type { CommandModule } from 'yargs';
import { deadLetterEntryToJson } from '../../../dlq/entry.js';
import { ExitCode } from '../../exit.js';
import { print, printJson, printNotice } from '../../output.js';
import type { CommonArgs } from '../../options.js';
import { handler } from '../../run.js';
import { renderEntryList } from './render.js';
import { describeFilter, parseCountFlag, withDeadLetterQueue, withDlqOptions, withFilterOptions, type FilterArgs } from './shared.js';

interface ListArgs extends CommonArgs, FilterArgs {
  limit: string;
  offset: string;
}

export const listCommand: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: 'List dead-lettered tasks, newest first',
  builder: (yargs) =>
    withFilterOptions(withDlqOptions(yargs))
      .option('limit', { type: 'string', default: '50', requiresArg: true, describe: 'Most entries to show' })
      .option('offset', { type: 'string', default: '0', requiresArg: true, describe: 'Entries to skip (newest first)' }),
  handler: handler(async (argv) => {
    const limit = parseCountFlag('limit', argv.limit, 1);
    const offset = parseCountFlag('offset', argv.offset, 0);
    const filter = { tenantId: argv.tenant, queue: argv.queue };
    return withDeadLetterQueue(argv, async (dlq) => {
      const entries = await dlq.list({ ...filter, limit, offset });
      if (argv.json) {
        printJson(entries.map(deadLetterEntryToJson));
        return ExitCode.Ok;
      }
      if (entries.length === 0) {
        print(`No dead-letter entries${describeFilter(filter)}${offset ? ` after the first ${offset}` : ''}.`);
        return ExitCode.Ok;
      }
      print(renderEntryList(entries));
      const total = await dlq.count(filter);
      if (offset + entries.length < total) {
        printNotice(`Showing ${offset + 1}-${offset + entries.length} of ${total}; see more with --offset ${offset + entries.length}`);
      }
      return ExitCode.Ok;
    });
  }),
};
