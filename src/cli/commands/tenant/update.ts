import type { CommandModule } from 'yargs';
import { InvalidArgumentError } from '../../../core/errors.js';
import type { UpdateTenantInput } from '../../../tenancy/manager.js';
import { tenantToJson } from '../../../tenancy/tenant.js';
import { ExitCode, UsageError } from '../../exit.js';
import { print, printJson } from '../../output.js';
import { once, withCommonOptions, type CommonArgs } from '../../options.js';
import { handler } from '../../run.js';
import { withTenantManager } from './manager.js';
import { metadataFromFlags, withMetadataFlag, type MetadataArgs } from './metadata-flag.js';
import { withPoolFlag, type PoolArgs } from './pool-flag.js';
import { quotasFromFlags, withQuotaFlags } from './quota-flags.js';
import { renderTenant } from './render-tenant.js';

interface UpdateArgs extends CommonArgs, MetadataArgs, PoolArgs {
  'tenant-id': string;
  name: string | undefined;
  enabled: string | undefined;
}

export const updateCommand: CommandModule<object, UpdateArgs> = {
  command: 'update <tenant-id>',
  describe: 'Change a tenant: name, enabled, pool, quotas (merged), metadata (replaced)',
  builder: (yargs) =>
    withPoolFlag(
      withQuotaFlags(
        withMetadataFlag(
          withCommonOptions(
            yargs.positional('tenant-id', { type: 'string', demandOption: true, describe: 'Tenant id' }),
          ),
          'Replaces all metadata with these key=value pairs (repeatable); JSON values are kept as JSON',
        )
          .option('name', { type: 'string', coerce: once('name'), requiresArg: true, describe: 'New display name' })
          .option('enabled', {
            // A string, not a boolean: yargs would read `--enabled no` as true plus a stray argument.
            type: 'string',
            coerce: once('enabled'),
            requiresArg: true,
            describe: 'true to accept submissions again, false to refuse them (held tasks wait)',
          }),
      ),
      "Move it to another worker pool: its waiting and held tasks go to that pool's workers at once",
    ),
  handler: handler(async (argv) => {
    const changes: UpdateTenantInput = {
      name: argv.name,
      enabled: argv.enabled === undefined ? undefined : parseEnabled(argv.enabled),
      pool: argv.pool,
      quotas: quotasFromFlags(argv),
      metadata: metadataFromFlags(argv.metadata),
    };
    if (Object.values(changes).every((value) => value === undefined)) {
      throw new UsageError('Nothing to update: pass --name, --enabled, --pool, a quota flag or --metadata');
    }
    return withTenantManager(argv, async (manager) => {
      const tenant = await manager.updateTenant(argv.tenantId, changes);
      if (argv.json) printJson(tenantToJson(tenant));
      else print(`Updated tenant '${tenant.tenantId}'\n\n${renderTenant(tenant)}`);
      return ExitCode.Ok;
    });
  }),
};

function parseEnabled(value: unknown): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError(`Invalid --enabled ${JSON.stringify(String(value))}: expected true or false`);
}
