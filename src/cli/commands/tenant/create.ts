import type { CommandModule } from 'yargs';
import { tenantToJson } from '../../../tenancy/tenant.js';
import { ExitCode } from '../../exit.js';
import { print, printJson } from '../../output.js';
import { withCommonOptions, type CommonArgs } from '../../options.js';
import { handler } from '../../run.js';
import { withTenantManager } from './manager.js';
import { metadataFromFlags, withMetadataFlag, type MetadataArgs } from './metadata-flag.js';
import { withPoolFlag, type PoolArgs } from './pool-flag.js';
import { quotasFromFlags, withQuotaFlags } from './quota-flags.js';
import { renderTenant } from './render-tenant.js';

interface CreateArgs extends CommonArgs, MetadataArgs, PoolArgs {
  'tenant-id': string;
  name: string;
  disabled: boolean;
}

export const createCommand: CommandModule<object, CreateArgs> = {
  command: 'create <tenant-id> <name>',
  describe: 'Create a tenant, with quotas and metadata',
  builder: (yargs) =>
    withPoolFlag(
      withQuotaFlags(
        withMetadataFlag(
          withCommonOptions(
            yargs
              .positional('tenant-id', { type: 'string', demandOption: true, describe: "Tenant id: 1-64 letters, digits, '-', '_' or '.'" })
              .positional('name', { type: 'string', demandOption: true, describe: 'Display name' }),
          ),
          'Metadata as key=value (repeatable); JSON values (5, true, {"a":1}) are kept as JSON',
        ).option('disabled', {
          type: 'boolean',
          default: false,
          describe: 'Create it disabled: submissions are refused until it is enabled',
        }),
      ),
      "Worker pool that runs its tasks: only workers started with --pool <name> (default 'shared')",
    ),
  handler: handler(async (argv) =>
    withTenantManager(argv, async (manager) => {
      const tenant = await manager.createTenant({
        tenantId: argv.tenantId,
        name: argv.name,
        quotas: quotasFromFlags(argv),
        metadata: metadataFromFlags(argv.metadata),
        enabled: !argv.disabled,
        pool: argv.pool,
      });
      if (argv.json) printJson(tenantToJson(tenant));
      else print(`Created tenant '${tenant.tenantId}'\n\n${renderTenant(tenant)}`);
      return ExitCode.Ok;
    }),
  ),
};
