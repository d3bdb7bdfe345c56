import type { RedisClient } from '../store/connection.js';
import type { KeyLayout } from '../core/keys.js';
import type { TaskStatus } from './types.js';

/**
 * Where a task is, from Turbine's own bookkeeping, in one round trip of constant-time reads:
 * its tenant's slot (waiting or running), the deferred set and BullMQ's delayed and failed
 * sets, and the job's finish time. A held task is the one that is in none of them: it is only
 * listed in its tenant's held list, which is never scanned for this (it can be millions long).
 */
export async function readTaskState(
  client: RedisClient,
  keys: KeyLayout,
  ref: { tenantId: string; queue: string; jobId: string },
): Promise<TaskStatus> {
  const { tenantId, queue, jobId } = ref;
  const bull = `${keys.bullPrefix()}:${queue}`;
  const replies = await client
    .multi()
    .hmget(`${bull}:${jobId}`, 'timestamp', 'finishedOn')
    .zscore(`${bull}:failed`, jobId)
    .zscore(keys.slots(tenantId, queue), jobId)
    .zscore(`${bull}:delayed`, jobId)
    .zscore(keys.deferred(tenantId), `${queue}:${jobId}`)
    .exec();
  const [fields, failed, slot, delayed, deferred] = (replies ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  const [timestamp, finishedOn] = (fields ?? []) as (string | null)[];
  if (!timestamp) return 'unknown';
  if (failed != null) return 'failed';
  if (finishedOn) return 'completed';
  if (slot != null) return Number(slot) > 0 ? 'running' : 'waiting';
  if (delayed != null) return 'deferred';
  // Put back in the wait list without a slot (a stopping worker's task): it takes one when fetched.
  if (deferred != null) return 'waiting';
  return 'held';
}
