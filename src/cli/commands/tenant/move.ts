import type { CommandModule } from 'yargs';
import { assertTenantId } from '../../../tenancy/validation.js';
import { ExitCode, UsageError } from '../../exit.js';
import { print, printJson } from '../../output.js';
import { once, withCommonOptions, type CommonArgs } from '../../options.js';
import { handler } from '../../run.js';
import { withTenantManager } from './manager.js';

interface MoveArgs extends CommonArgs {
  tenant: string;
  shard: number;
}

export const moveCommand: CommandModule<object, MoveArgs> = {
  command: 'move',
  describe: 'Move a tenant to another shard (refused while it has tasks waiting, held, delayed or running)',
  builder: (yargs) =>
    withCommonOptions(yargs)
      .option('tenant', { type: 'string', coerce: once('tenant'), requiresArg: true, demandOption: true, describe: 'The tenant to move' })
      .option('shard', { type: 'number', requiresArg: true, demandOption: true, describe: 'The shard to move it to (0 … shards − 1)' }),
  handler: handler(async (argv) => {
    const tenantId = assertTenantId(argv.tenant);
    if (!Number.isInteger(argv.shard) || argv.shard < 0) {
      throw new UsageError(`Invalid --shard ${String(argv.shard)}: expected a shard number from 0 to the shard count − 1`);
    }
    return withTenantManager(argv, async (manager) => {
      const result = await manager.moveTenant(tenantId, argv.shard);
      if (argv.json) printJson({ tenant_id: tenantId, from_shard: result.from, to_shard: result.to, moved: result.moved });
      else if (result.moved) print(`Moved tenant '${tenantId}' from shard ${result.from} to shard ${result.to}`);
      else print(`Tenant '${tenantId}' is already on shard ${result.to}: nothing to move`);
      return ExitCode.Ok;
    });
  }),
};
