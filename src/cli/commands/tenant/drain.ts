import type { CommandModule } from 'yargs';
import { assertQueueName, assertTenantId } from '../../../tenancy/validation.js';
import { ExitCode, UsageError } from '../../exit.js';
import { print, printJson, printNotice } from '../../output.js';
import { once, withCommonOptions, type CommonArgs } from '../../options.js';
import { confirm } from '../../prompt.js';
import { handler } from '../../run.js';
import { withTenantManager } from './manager.js';

interface DrainArgs extends CommonArgs {
  'tenant-id': string;
  queue: string | undefined;
  force: boolean;
}

export const drainCommand: CommandModule<object, DrainArgs> = {
  command: 'drain <tenant-id>',
  describe: "Remove a tenant's waiting, held and delayed tasks at once (running ones finish); audited",
  builder: (yargs) =>
    withCommonOptions(yargs.positional('tenant-id', { type: 'string', demandOption: true, describe: 'Tenant id' }))
      .option('queue', { type: 'string', coerce: once('queue'), requiresArg: true, describe: 'Only the tasks of this queue' })
      .option('force', { type: 'boolean', default: false, describe: 'Do not ask for confirmation' }),
  handler: handler(async (argv) => {
    const tenantId = assertTenantId(argv.tenantId);
    const queue = argv.queue === undefined ? undefined : assertQueueName(argv.queue);
    const scope = queue ? ` in queue '${queue}'` : '';
    if (!argv.force && !process.stdin.isTTY) {
      throw new UsageError(`Not draining tenant '${tenantId}' without confirmation: stdin is not a terminal; pass --force`);
    }
    return withTenantManager(argv, async (manager) => {
      if (!argv.force) {
        await manager.requireTenant(tenantId);
        const agreed = await confirm(`Remove every queued task of tenant '${tenantId}'${scope}?`, { input: process.stdin, output: process.stderr });
        if (!agreed) {
          printNotice(`Aborted: nothing of tenant '${tenantId}' was removed`);
          return ExitCode.Failure;
        }
      }
      const drained = await manager.drainTenant(tenantId, { queue });
      if (argv.json) printJson({ tenant_id: tenantId, queue: queue ?? null, ...drained });
      else print(`Drained tenant '${tenantId}'${scope}: removed ${drained.waiting} waiting, ${drained.held} held and ${drained.delayed} delayed task(s)`);
      return ExitCode.Ok;
    });
  }),
};
