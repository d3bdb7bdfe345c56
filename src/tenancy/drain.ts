import type { RedisClient } from '../store/connection.js';
import { generateTaskId } from '../core/task-ids.js';
import type { KeyLayout } from '../core/keys.js';
import { tenancyScripts } from './scripts.js';
import { decodeDrainPurge, decodeDrainStart, type DrainResult } from './replies.js';

export type { DrainResult };

/** Set-aside held tasks deleted per script call. */
const PURGE_BATCH = 1000;

/**
 * Removes a tenant's waiting, held and delayed tasks (of one queue, or all), atomically as the
 * tenant sees it, audited, with its slots freed at once (`drainTenant-1.lua`). Running tasks
 * finish. Throws {@link TenantNotFoundError} for an unknown tenant.
 */
export async function drainTenant(
  client: RedisClient,
  keys: KeyLayout,
  tenantId: string,
  options: { queue?: string; actor: string },
): Promise<DrainResult> {
  const run = (phase: 'start' | 'purge'): Promise<unknown> =>
    tenancyScripts.drainTenant.run(client, [keys.tenants()], [
      keys.prefix,
      tenantId,
      options.queue ?? '',
      Date.now(),
      options.actor,
      new Date().toISOString(),
      generateTaskId(),
      PURGE_BATCH,
      phase,
    ]);
  const removed = decodeDrainStart(await run('start'), tenantId);
  // The held tasks are already out of reach; their jobs are deleted a batch at a time.
  for (;;) {
    if (decodeDrainPurge(await run('purge')).listsLeft === 0) break;
  }
  return removed;
}
