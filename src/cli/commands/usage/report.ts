import type { CommandModule } from 'yargs';
import { InvalidArgumentError } from '../../../core/errors.js';
import { usageRowToJson, type UsagePeriod } from '../../../tenancy/usage.js';
import { ExitCode } from '../../exit.js';
import { print, printJson, printNotice } from '../../output.js';
import { once, withCommonOptions, type CommonArgs } from '../../options.js';
import { handler } from '../../run.js';
import { withTenantManager } from '../tenant/manager.js';
import { exportCommand } from './export.js';
import { parseTimeFlag } from './range.js';
import { renderUsageCsv, renderUsageTable } from './render.js';

interface UsageArgs extends CommonArgs {
  tenant: string | undefined;
  from: string | undefined;
  to: string | undefined;
  by: UsagePeriod;
  csv: boolean;
}

/** `turbine usage --tenant <id>`: one tenant's metered usage; `turbine usage export`: every tenant's. */
export const usageCommand: CommandModule<object, UsageArgs> = {
  command: 'usage',
  describe: "Show a tenant's metered usage by hour or day, or export every tenant's (usage export)",
  builder: (yargs) =>
    withCommonOptions(yargs)
      .command(exportCommand)
      // Not inherited by `usage export`, which has its own.
      .option('tenant', { type: 'string', global: false, coerce: once('tenant'), requiresArg: true, describe: 'Tenant id' })
      .option('from', {
        type: 'string',
        global: false,
        coerce: once('from'),
        requiresArg: true,
        describe: 'Start: ISO 8601 time or duration ago (7d)',
        defaultDescription: '24h ago (30d with --by day)',
      })
      .option('to', { type: 'string', global: false, coerce: once('to'), requiresArg: true, describe: 'End: ISO 8601 time or duration ago', defaultDescription: 'now' })
      .option('by', { choices: ['hour', 'day'] as const, global: false, default: 'hour' as UsagePeriod, describe: 'One row per hour or per UTC day' })
      .option('csv', { type: 'boolean', global: false, default: false, describe: 'Print CSV (snake_case header)' }),
  handler: handler(async (argv) => {
    if (argv.csv && argv.json) throw new InvalidArgumentError('Choose one of --csv and --json');
    if (!argv.tenant) {
      throw new InvalidArgumentError('Missing --tenant: turbine usage --tenant <id> for one tenant, or turbine usage export --from <time> for every tenant');
    }
    const now = Date.now();
    const query = {
      tenantId: argv.tenant,
      by: argv.by,
      from: argv.from === undefined ? undefined : parseTimeFlag('from', argv.from, now),
      to: argv.to === undefined ? undefined : parseTimeFlag('to', argv.to, now),
    };
    return withTenantManager(argv, async (manager) => {
      const rows = await manager.getUsageReport(query);
      if (argv.json) printJson(rows.map(usageRowToJson));
      else if (argv.csv) print(renderUsageCsv(rows));
      else if (rows.length === 0) printNotice(`No usage counted for tenant '${argv.tenant}' in that range.`);
      else print(renderUsageTable(rows, argv.by));
      return ExitCode.Ok;
    });
  }),
};
