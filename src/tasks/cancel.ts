import type { RedisClient } from '../store/connection.js';
import type { KeyLayout } from '../core/keys.js';
import { jobIdOf } from '../core/task-ids.js';
import { tenancyScripts } from '../tenancy/scripts.js';
import { decodeCancelTask, type CancelOutcome } from '../tenancy/replies.js';

/**
 * Cancels a tenant's task if it has not started: removes it from wherever it waits (the queue,
 * the tenant's held list, BullMQ's delayed set) and frees its slot for the tenant's held tasks
 * in the same step (`cancelTask-1.lua`). With an `actor`, it is recorded in the tenant's audit
 * trail. Another tenant's task is answered `unknown`, like a missing one.
 */
export async function cancelTask(
  client: RedisClient,
  keys: KeyLayout,
  ref: { tenantId: string; queue: string; taskId: string },
  options: { actor?: string } = {},
): Promise<CancelOutcome> {
  const reply = await tenancyScripts.cancelTask.run(client, [keys.tenants()], [
    keys.prefix,
    ref.tenantId,
    ref.queue,
    jobIdOf(ref.tenantId, ref.taskId),
    Date.now(),
    options.actor ?? '',
    new Date().toISOString(),
    ref.taskId,
  ]);
  return decodeCancelTask(reply);
}
