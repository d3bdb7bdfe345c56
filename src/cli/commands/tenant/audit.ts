import type { CommandModule } from 'yargs';
import { InvalidArgumentError } from '../../../core/errors.js';
import { auditEntryToJson } from '../../../tenancy/audit.js';
import { ExitCode } from '../../exit.js';
import { print, printJson } from '../../output.js';
import { once, withCommonOptions, type CommonArgs } from '../../options.js';
import { handler } from '../../run.js';
import { withTenantManager } from './manager.js';
import { renderAudit } from './render-audit.js';

interface AuditArgs extends CommonArgs {
  'tenant-id': string;
  limit: string;
}

const DEFAULT_LIMIT = 50;

export const auditCommand: CommandModule<object, AuditArgs> = {
  command: 'audit <tenant-id>',
  describe: "Show a tenant's audit trail, newest first (kept after the tenant is deleted)",
  builder: (yargs) =>
    withCommonOptions(
      yargs.positional('tenant-id', { type: 'string', demandOption: true, describe: 'Tenant id' }),
    ).option('limit', {
      // A string so that `--limit abc` is refused by name instead of becoming NaN.
      type: 'string',
      coerce: once('limit'),
      default: String(DEFAULT_LIMIT),
      requiresArg: true,
      describe: 'Most entries to show',
    }),
  handler: handler(async (argv) => {
    const limit = parseLimit(argv.limit);
    return withTenantManager(argv, async (manager) => {
      const entries = await manager.getAuditLog(argv.tenantId, { limit });
      if (argv.json) printJson(entries.map(auditEntryToJson));
      else print(entries.length ? renderAudit(entries) : `No audit entries for tenant '${argv.tenantId}'.`);
      return ExitCode.Ok;
    });
  }),
};

function parseLimit(raw: unknown): number {
  const limit = Number(raw);
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidArgumentError(`Invalid --limit ${JSON.stringify(String(raw))}: expected a positive integer`);
  }
  return limit;
}
