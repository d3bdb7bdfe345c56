import type { ArgumentsCamelCase, CommandModule } from 'yargs';
import { DeadLetterNotReplayableError } from '../../../dlq/errors.js';
import type { DeadLetterQueue } from '../../../dlq/queue.js';
import { classify } from '../../../core/classify.js';
import { TurbineError } from '../../../core/errors.js';
import { ExitCode, UsageError, errorLine } from '../../exit.js';
import { print, printJson, printNotice } from '../../output.js';
import type { CommonArgs } from '../../options.js';
import { handler } from '../../run.js';
import { describeReplayed, outcomeToJson, renderOutcomes } from './render.js';
import { describeFilter, plural, withDeadLetterQueue, withDlqOptions, withFilterOptions, type FilterArgs } from './shared.js';

interface ReplayArgs extends CommonArgs, FilterArgs {
  'entry-id': string | undefined;
  all: boolean;
}

export const replayCommand: CommandModule<object, ReplayArgs> = {
  command: 'replay [entry-id]',
  describe: "Resubmit dead-lettered tasks through admission (the tenant's quotas apply); replayed entries are removed",
  builder: (yargs) =>
    withFilterOptions(
      withDlqOptions(
        yargs.positional('entry-id', { type: 'string', describe: 'Entry id <queue>:<job id>, as dlq list shows' }),
      ),
      {
        tenant: "With --all: replay the entries of this tenant; with an entry id: act for this tenant (another tenant's entry is not found)",
        queue: 'With --tenant --all: only the entries of this queue',
      },
    ).option('all', { type: 'boolean', default: false, describe: 'With --tenant: replay every entry of the tenant' }),
  handler: handler(async (argv) => {
    checkUsage(argv);
    return withDeadLetterQueue(argv, (dlq) => (argv.entryId === undefined ? replayAll(dlq, argv) : replayOne(dlq, argv, argv.entryId)));
  }),
};

/** One way to say what to replay: an id, or a tenant with --all (a tenant alone might be a slip). */
function checkUsage(argv: ArgumentsCamelCase<ReplayArgs>): void {
  if (argv.entryId !== undefined) {
    if (argv.queue !== undefined || argv.all) {
      throw new UsageError('Pass either an entry id [--tenant <tenant-id>], or --tenant <tenant-id> --all [--queue <queue>], not both');
    }
    return;
  }
  if (argv.tenant === undefined) {
    throw new UsageError('Nothing to replay: pass an entry id (see turbine dlq list), or --tenant <tenant-id> --all');
  }
  if (!argv.all) {
    throw new UsageError(
      `Replaying every dead-letter entry of tenant '${argv.tenant}' needs --all; to replay one entry, pass its id instead of --tenant`,
    );
  }
}

async function replayOne(dlq: DeadLetterQueue, argv: ArgumentsCamelCase<ReplayArgs>, entryId: string): Promise<ExitCode> {
  try {
    const outcome = await dlq.replay(entryId, { tenantId: argv.tenant });
    if (argv.json) printJson(outcomeToJson(outcome));
    else print(describeReplayed(outcome));
    return ExitCode.Ok;
  } catch (error) {
    // A refusal is a failed replay, not bad usage (a poison entry's error has an INVALID_* code): exit 1.
    if (!isRefusal(error)) throw error;
    const kept = error instanceof DeadLetterNotReplayableError ? '' : '; the entry is kept';
    printNotice(errorLine(`Not replayed: ${error.message}${kept}`));
    return ExitCode.Failure;
  }
}

/** What admission refuses, and entries that cannot be resubmitted at all (their own bad input). */
function isRefusal(error: unknown): error is TurbineError {
  return error instanceof TurbineError && classify(error) === 'refused';
}

async function replayAll(dlq: DeadLetterQueue, argv: ArgumentsCamelCase<ReplayArgs>): Promise<ExitCode> {
  const filter = { tenantId: argv.tenant!, queue: argv.queue };
  const outcomes = await dlq.replayAll(filter);
  const replayed = outcomes.filter((o) => o.ok).length;
  const refused = outcomes.length - replayed;
  if (argv.json) {
    printJson({ replayed, refused, results: outcomes.map(outcomeToJson) });
  } else if (outcomes.length === 0) {
    print(`No dead-letter entries${describeFilter(filter)} to replay.`);
  } else {
    print(renderOutcomes(outcomes));
    print(
      `\nReplayed ${replayed} of ${plural(outcomes.length, 'entry', 'entries')}${describeFilter(filter)}` +
        (refused ? `; ${refused} refused and kept in the dead-letter queue` : ''),
    );
  }
  return refused ? ExitCode.Failure : ExitCode.Ok;
}
