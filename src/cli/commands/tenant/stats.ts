import type { CommandModule } from 'yargs';
import { statsToJson } from '../../../tenancy/stats.js';
import { ExitCode } from '../../exit.js';
import { print, printJson } from '../../output.js';
import { withCommonOptions, type CommonArgs } from '../../options.js';
import { handler } from '../../run.js';
import { withTenantManager } from './manager.js';
import { renderStats } from './render-stats.js';

interface StatsArgs extends CommonArgs {
  'tenant-id': string;
}

export const statsCommand: CommandModule<object, StatsArgs> = {
  command: 'stats <tenant-id>',
  describe: "Show a tenant's usage: tasks this hour and day, running, total, pending",
  builder: (yargs) =>
    withCommonOptions(yargs.positional('tenant-id', { type: 'string', demandOption: true, describe: 'Tenant id' })),
  handler: handler(async (argv) =>
    withTenantManager(argv, async (manager) => {
      const stats = await manager.getTenantStats(argv.tenantId);
      if (argv.json) {
        printJson(statsToJson(stats));
      } else {
        // The quotas give the counts their meaning; a tenant deleted in between just loses them.
        print(renderStats(stats, await manager.getTenant(argv.tenantId)));
      }
      return ExitCode.Ok;
    }),
  ),
};
