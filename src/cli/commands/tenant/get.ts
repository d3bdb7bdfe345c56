import type { CommandModule } from 'yargs';
import { tenantToJson } from '../../../tenancy/tenant.js';
import { ExitCode } from '../../exit.js';
import { print, printJson } from '../../output.js';
import { withCommonOptions, type CommonArgs } from '../../options.js';
import { handler } from '../../run.js';
import { withTenantManager } from './manager.js';
import { renderTenant } from './render-tenant.js';

interface GetArgs extends CommonArgs {
  'tenant-id': string;
}

export const getCommand: CommandModule<object, GetArgs> = {
  command: 'get <tenant-id>',
  describe: 'Show a tenant: state, every quota, metadata',
  builder: (yargs) =>
    withCommonOptions(yargs.positional('tenant-id', { type: 'string', demandOption: true, describe: 'Tenant id' })),
  handler: handler(async (argv) =>
    withTenantManager(argv, async (manager) => {
      const tenant = await manager.requireTenant(argv.tenantId);
      if (argv.json) printJson(tenantToJson(tenant));
      else print(renderTenant(tenant));
      return ExitCode.Ok;
    }),
  ),
};
