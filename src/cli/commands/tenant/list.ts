import type { CommandModule } from 'yargs';
import { tenantToJson } from '../../../tenancy/tenant.js';
import { ExitCode } from '../../exit.js';
import { print, printJson } from '../../output.js';
import { withCommonOptions, type CommonArgs } from '../../options.js';
import { handler } from '../../run.js';
import { withTenantManager } from './manager.js';
import { renderTenantList } from './render-tenant.js';

export const listCommand: CommandModule<object, CommonArgs> = {
  command: 'list',
  describe: 'List all tenants, sorted by id',
  builder: (yargs) => withCommonOptions(yargs),
  handler: handler(async (argv) =>
    withTenantManager(argv, async (manager) => {
      const tenants = await manager.listTenants();
      if (argv.json) printJson(tenants.map(tenantToJson));
      else print(tenants.length ? renderTenantList(tenants) : "No tenants. Create one with 'turbine tenant create <tenant-id> <name>'.");
      return ExitCode.Ok;
    }),
  ),
};
