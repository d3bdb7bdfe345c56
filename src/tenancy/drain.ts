import type { RedisClient } from '../store/connection.js';
import { generateTaskId } from '../core/task-ids.js';
import type { KeyLayout } from '../core/keys.js';
import { TenantNotFoundError } from '../core/errors.js';
import { tenancyScripts } from './scripts.js';

/** What a drain removed, by where the tasks were. */
export interface DrainResult {
  waiting: number;
  held: number;
  delayed: number;
}

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
  const run = (phase: 'start' | 'purge'): Promise<number[]> =>
    tenancyScripts.drainTenant
      .run(client, [keys.tenants()], [
        keys.prefix,
        tenantId,
        options.queue ?? '',
        Date.now(),
        options.actor,
        new Date().toISOString(),
        generateTaskId(),
        PURGE_BATCH,
        phase,
      ])
      .then((reply) => (reply as (string | number)[]).map(Number));
  const [waiting = 0, held = 0, delayed = 0] = await run('start');
  if (waiting < 0) throw new TenantNotFoundError(tenantId);
  // The held tasks are already out of reach; their jobs are deleted a batch at a time.
  for (;;) {
    const [, left] = await run('purge');
    if (!left) break;
  }
  return { waiting, held, delayed };
}
