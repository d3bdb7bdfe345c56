import type { CommandModule } from 'yargs';
import { auditCommand } from './tenant/audit.js';
import { createCommand } from './tenant/create.js';
import { deleteCommand } from './tenant/delete.js';
import { drainCommand } from './tenant/drain.js';
import { getCommand } from './tenant/get.js';
import { listCommand } from './tenant/list.js';
import { moveCommand } from './tenant/move.js';
import { statsCommand } from './tenant/stats.js';
import { updateCommand } from './tenant/update.js';

/** `turbine tenant …`: the Python SDK's tenant management commands, plus `audit`. */
export const tenantCommand: CommandModule = {
  command: 'tenant',
  describe: 'Manage tenants: create, list, get, update, delete, stats, audit, drain, move',
  builder: (yargs) =>
    yargs
      .command(createCommand)
      .command(listCommand)
      .command(getCommand)
      .command(updateCommand)
      .command(deleteCommand)
      .command(statsCommand)
      .command(auditCommand)
      .command(drainCommand)
      .command(moveCommand)
      .demandCommand(1, 'Choose a tenant command: create, list, get, update, delete, stats, audit, drain or move'),
  // Never reached: yargs runs a subcommand or fails.
  handler: () => undefined,
};
