import type { ArgumentsCamelCase } from 'yargs';
import { TenantManager } from '../../../tenancy/manager.js';
import type { CommonArgs } from '../../options.js';

/**
 * Runs `use` with a TenantManager built from the common options and always closes it, so that
 * the process exits as soon as the command is done, failed or not.
 */
export async function withTenantManager<R>(
  argv: ArgumentsCamelCase<CommonArgs>,
  use: (manager: TenantManager) => Promise<R>,
): Promise<R> {
  const manager = new TenantManager({ backendUrl: argv.backendUrl, prefix: argv.prefix, shards: argv.shards, actor: argv.actor });
  try {
    return await use(manager);
  } finally {
    await manager.close();
  }
}
