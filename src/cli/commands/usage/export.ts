import type { CommandModule } from 'yargs';
import { InvalidArgumentError } from '../../../core/errors.js';
import { usageRowToCsv, usageRowToJson } from '../../../tenancy/usage.js';
import { ExitCode } from '../../exit.js';
import { once, withCommonOptions, type CommonArgs } from '../../options.js';
import { handler } from '../../run.js';
import { withTenantManager } from '../tenant/manager.js';
import { parseTimeFlag } from './range.js';
import { USAGE_CSV_HEADER } from './render.js';

interface ExportArgs extends CommonArgs {
  from: string;
  to: string | undefined;
  format: 'csv' | 'jsonl';
}

/**
 * `turbine usage export`: every tenant's usage by hour, written row by row as it is read (with
 * stdout's backpressure), so that 10 000 tenants × 35 days take no more memory than one batch.
 */
export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: "Write every tenant's usage by hour as CSV or JSON lines, streaming",
  builder: (yargs) =>
    withCommonOptions(yargs)
      .option('from', { type: 'string', coerce: once('from'), demandOption: true, requiresArg: true, describe: 'Start: ISO 8601 time or duration ago (7d)' })
      .option('to', { type: 'string', coerce: once('to'), requiresArg: true, describe: 'End: ISO 8601 time or duration ago', defaultDescription: 'now' })
      .option('format', { choices: ['csv', 'jsonl'] as const, default: 'csv' as const, describe: 'CSV with a header, or one JSON object per line' }),
  handler: handler(async (argv) => {
    if (argv.json) throw new InvalidArgumentError('usage export writes --format csv or --format jsonl; --json does not apply');
    const now = Date.now();
    const from = parseTimeFlag('from', argv.from, now);
    const to = argv.to === undefined ? new Date(now) : parseTimeFlag('to', argv.to, now);
    return withTenantManager(argv, async (manager) => {
      if (argv.format === 'csv') await write(`${USAGE_CSV_HEADER}\n`);
      for await (const row of manager.exportUsage({ from, to })) {
        await write(`${argv.format === 'csv' ? usageRowToCsv(row) : JSON.stringify(usageRowToJson(row))}\n`);
      }
      return ExitCode.Ok;
    });
  }),
};

/** Writes to stdout, waiting while its buffer is full. */
async function write(text: string): Promise<void> {
  if (process.stdout.write(text)) return;
  await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
}
