import { replyChoice, replyIntegers, replyList, throwIfRefused, unexpectedReply } from '../core/script-reply.js';
import type { TenantStats } from './stats.js';

/**
 * Decoders of the replies of tenancy's Lua scripts (`src/tenancy/lua/`, see each script's
 * header), one per reply shape: a refusal becomes its Turbine error (`ScriptErrorCode`), a reply
 * of any other shape an `InternalError`, and everything else named fields.
 */

/** `createTenant-1.lua`: `{0}` created, or a refusal. */
export function decodeCreateTenant(reply: unknown, tenantId: string): void {
  throwIfRefused('createTenant', reply, tenantId);
}

/** What `updateTenant-1.lua` changed. */
export interface TenantUpdate {
  changedFields: number;
  /** Held tasks promoted into the room the change left. */
  promoted: number;
  /** Waiting tasks pulled back to be dispatched again (disabled, moved pool, new rate limit). */
  pulledBack: number;
}

export function decodeUpdateTenant(reply: unknown, tenantId: string): TenantUpdate {
  const { changedFields, promoted, pulledBack } = replyIntegers('updateTenant', throwIfRefused('updateTenant', reply, tenantId), [
    'status',
    'changedFields',
    'promoted',
    'pulledBack',
  ]);
  return { changedFields, promoted, pulledBack };
}

/** The statuses of `deleteTenant-1.lua` (its locals NOT_FOUND, DELETED, MORE). */
export const DeleteStatus = { NotFound: 0, Deleted: 1, MoreBatches: 2 } as const;

/** One call of `deleteTenant-1.lua`: whether the tenant is gone, or more batches are to go. */
export interface DeleteStep {
  status: 'not_found' | 'deleted' | 'more_batches';
  /** Held tasks this call sent to the dead-letter queue. */
  deadLettered: number;
}

export function decodeDeleteTenant(reply: unknown, tenantId: string): DeleteStep {
  const { status, deadLettered } = replyIntegers('deleteTenant', throwIfRefused('deleteTenant', reply, tenantId), ['status', 'deadLettered']);
  switch (status) {
    case DeleteStatus.NotFound:
      return { status: 'not_found', deadLettered };
    case DeleteStatus.Deleted:
      return { status: 'deleted', deadLettered };
    case DeleteStatus.MoreBatches:
      return { status: 'more_batches', deadLettered };
    default:
      throw unexpectedReply('deleteTenant', reply, 'a delete status 0, 1 or 2');
  }
}

/** `changeUsage-1.lua`: the counter's value after the change. */
export function decodeChangeUsage(reply: unknown, tenantId: string): number {
  return replyIntegers('changeUsage', throwIfRefused('changeUsage', reply, tenantId), ['status', 'value']).value;
}

/** The positions of `tenantStats-1.lua`'s reply (see its header). */
const TENANT_STATS_FIELDS = [
  'status',
  'tasksHour',
  'hourPttl',
  'tasksDay',
  'dayPttl',
  'concurrent',
  'total',
  'held',
  'waiting',
  'running',
  'deferred',
  'storedResults',
  'rateWaitMs',
] as const;

/** `tenantStats-1.lua`: the tenant's usage, read in one step (resets relative to now). */
export function decodeTenantStats(reply: unknown, tenantId: string): TenantStats {
  const f = replyIntegers('tenantStats', throwIfRefused('tenantStats', reply, tenantId), TENANT_STATS_FIELDS);
  const resetAt = (ms: number): Date | null => (ms > 0 ? new Date(Date.now() + ms) : null);
  return {
    tasksHour: f.tasksHour,
    tasksDay: f.tasksDay,
    concurrentTasks: f.concurrent,
    totalTasks: f.total,
    pendingTasks: f.held + f.waiting + f.deferred,
    heldTasks: f.held,
    waitingTasks: f.waiting,
    deferredTasks: f.deferred,
    storedResults: f.storedResults,
    hourResetsAt: resetAt(f.hourPttl),
    dayResetsAt: resetAt(f.dayPttl),
    rateLimitedUntil: resetAt(f.rateWaitMs),
  };
}

/** The statuses of `cancelTask-1.lua` (its locals NOT_REMOVED, REMOVED). */
export const CancelStatus = { NotRemoved: 0, Removed: 1 } as const;

/** Where a cancelled task was, or why it was not cancelled. */
export type CancelOutcome =
  | { cancelled: true; state: 'waiting' | 'held' | 'delayed' }
  | { cancelled: false; reason: 'unknown' | 'running' | 'finished' };

export function decodeCancelTask(reply: unknown): CancelOutcome {
  const [status, detail] = replyList('cancelTask', reply, 2, '{status, state or reason}');
  if (status === CancelStatus.Removed) {
    return { cancelled: true, state: replyChoice('cancelTask', detail, ['waiting', 'held', 'delayed'], 'the state it was removed from') };
  }
  if (status === CancelStatus.NotRemoved) {
    return { cancelled: false, reason: replyChoice('cancelTask', detail, ['unknown', 'running', 'finished'], 'why it was not removed') };
  }
  throw unexpectedReply('cancelTask', reply, 'a cancel status 0 or 1');
}

/** What the "start" phase of `drainTenant-1.lua` removed, by where the tasks were. */
export interface DrainResult {
  waiting: number;
  held: number;
  delayed: number;
}

export function decodeDrainStart(reply: unknown, tenantId: string): DrainResult {
  return replyIntegers('drainTenant', throwIfRefused('drainTenant', reply, tenantId), ['waiting', 'held', 'delayed']);
}

/** One batch of the "purge" phase of `drainTenant-1.lua`. */
export interface DrainPurge {
  removed: number;
  /** Set-aside held lists still to purge (0: done). */
  listsLeft: number;
}

export function decodeDrainPurge(reply: unknown): DrainPurge {
  return replyIntegers('drainTenant', reply, ['removed', 'listsLeft']);
}
