import type { CommandModule } from 'yargs';
import { TenantNotFoundError } from '../../../core/errors.js';
import { assertTenantId } from '../../../tenancy/validation.js';
import { ExitCode, UsageError } from '../../exit.js';
import { print, printJson, printNotice } from '../../output.js';
import { withCommonOptions, type CommonArgs } from '../../options.js';
import { confirm } from '../../prompt.js';
import { handler } from '../../run.js';
import { withTenantManager } from './manager.js';

interface DeleteArgs extends CommonArgs {
  'tenant-id': string;
  force: boolean;
}

export const deleteCommand: CommandModule<object, DeleteArgs> = {
  command: 'delete <tenant-id>',
  describe: 'Delete a tenant: its configuration and usage counters (results and audit trail stay)',
  builder: (yargs) =>
    withCommonOptions(
      yargs.positional('tenant-id', { type: 'string', demandOption: true, describe: 'Tenant id' }),
    ).option('force', {
      type: 'boolean',
      default: false,
      describe: 'Do not ask; also delete a tenant with queued tasks, sending them to the dead-letter queue',
    }),
  handler: handler(async (argv) => {
    const tenantId = assertTenantId(argv.tenantId);
    // A script must say what it means: with no one to answer, asking would hang or guess.
    if (!argv.force && !process.stdin.isTTY) {
      throw new UsageError(`Not deleting tenant '${tenantId}' without confirmation: stdin is not a terminal; pass --force`);
    }
    return withTenantManager(argv, async (manager) => {
      if (!argv.force) {
        // Not found is reported before asking, so nobody confirms a delete that cannot happen.
        await manager.requireTenant(tenantId);
        const agreed = await confirm(`Delete tenant '${tenantId}'?`, { input: process.stdin, output: process.stderr });
        if (!agreed) {
          printNotice(`Aborted: tenant '${tenantId}' was not deleted`);
          return ExitCode.Failure;
        }
      }
      if (!(await manager.deleteTenant(tenantId, { force: argv.force }))) throw new TenantNotFoundError(tenantId);
      if (argv.json) printJson({ tenant_id: tenantId, deleted: true });
      else print(`Deleted tenant '${tenantId}'`);
      return ExitCode.Ok;
    });
  }),
};
