import type { RedisClient } from '../store/connection.js';
import { dispatchedAtOfWaitingSlot, laneOf, SHARED_POOL, type KeyLayout } from '../core/keys.js';
import type { HeldReason } from '../dispatcher/release.js';
import { DEFAULT_DISPATCH_WINDOW } from '../dispatcher/window.js';
import { jobIdOf, taskIdOf } from '../core/task-ids.js';
import { readTaskState } from './task-state.js';
import { tenancyScripts } from '../tenancy/scripts.js';
import { decodeTenantStats } from '../tenancy/replies.js';
import type { TaskStatus } from './types.js';
import { TenantNotFoundError } from '../core/errors.js';

/** The states `turbine task list --state` selects. */
export const LISTED_STATES = ['waiting', 'held', 'delayed', 'running', 'failed'] as const;
export type ListedState = (typeof LISTED_STATES)[number];

/** Why a held task is not in the queue yet. */
export type { HeldReason };

export interface TaskSummary {
  taskId: string;
  tenantId: string;
  queue: string;
  task: string;
  state: TaskStatus;
  submittedAt: Date | null;
  /** For a held task: 1 for the next to be promoted in its queue. */
  position?: number;
  /** For a held task: why it waits. */
  heldReason?: HeldReason;
}

export interface TaskDetails extends TaskSummary {
  attemptsMade: number;
  /** For a failed task: BullMQ's failed reason. */
  failedReason?: string;
}

/** Failed jobs looked at per queue by `listTasks` (newest first), to bound the scan. */
const FAILED_SCAN = 10_000;

/**
 * Lists a tenant's tasks where they are: held (from Turbine's held lists, which BullMQ's tools
 * do not see), waiting and running (from its slots), delayed (its deferred set) and failed
 * (BullMQ's failed set, filtered by the tenant its job ids name). At most `limit` per state
 * and queue, oldest first (failed: newest first).
 */
export async function listTasks(
  client: RedisClient,
  keys: KeyLayout,
  tenantId: string,
  options: { queue?: string; states?: readonly ListedState[]; limit?: number } = {},
): Promise<TaskSummary[]> {
  const limit = options.limit ?? 100;
  const states = new Set(options.states ?? LISTED_STATES);
  const queues = options.queue !== undefined ? [options.queue] : (await client.smembers(keys.tenantQueues(tenantId))).sort();
  const found: { jobId: string; queue: string; state: ListedState; position?: number; heldReason?: HeldReason }[] = [];
  const deferred = states.has('delayed') ? await client.zrange(keys.deferred(tenantId), '0', '-1') : [];
  for (const queue of queues) {
    const bull = `${keys.bullPrefix()}:${queue}`;
    if (states.has('held')) {
      const entries = await client.lrange(keys.held(tenantId, queue), 0, limit - 1);
      const heldReason = entries.length ? await heldReasonIn(client, keys, tenantId, queue) : undefined;
      entries.forEach((entry, i) => found.push({ jobId: entry.replace(/:\d+$/, ''), queue, state: 'held', position: i + 1, heldReason }));
    }
    if (states.has('waiting')) {
      for (const jobId of waitingInOrder(await client.zrevrangebyscore(keys.slots(tenantId, queue), '0', '-inf', 'WITHSCORES', 'LIMIT', 0, limit))) {
        found.push({ jobId, queue, state: 'waiting' });
      }
    }
    if (states.has('running')) {
      for (const jobId of await client.zrangebyscore(keys.slots(tenantId, queue), '(0', '+inf', 'LIMIT', 0, limit)) {
        found.push({ jobId, queue, state: 'running' });
      }
    }
    if (states.has('delayed')) {
      const ids = deferred.filter((ref) => ref.startsWith(`${queue}:`)).map((ref) => ref.slice(queue.length + 1));
      const scores = await Promise.all(ids.map((id) => client.zscore(`${bull}:delayed`, id)));
      ids.filter((_, i) => scores[i] !== null).slice(0, limit).forEach((jobId) => found.push({ jobId, queue, state: 'delayed' }));
    }
    if (states.has('failed')) {
      const mine = (await client.zrevrange(`${bull}:failed`, 0, FAILED_SCAN - 1)).filter((id) => id.startsWith(`${tenantId}@`));
      mine.slice(0, limit).forEach((jobId) => found.push({ jobId, queue, state: 'failed' }));
    }
  }
  const pipeline = client.pipeline();
  for (const f of found) pipeline.hmget(`${keys.bullPrefix()}:${f.queue}:${f.jobId}`, 'name', 'timestamp');
  const replies = (await pipeline.exec()) ?? [];
  return found.flatMap((f, i) => {
    const [name, timestamp] = (replies[i]?.[1] ?? []) as (string | null)[];
    // A held entry whose job was removed behind Turbine's back is not a task any more.
    if (!timestamp) return [];
    const summary: TaskSummary = {
      taskId: taskIdOf(f.jobId),
      tenantId,
      queue: f.queue,
      task: name ?? '',
      state: f.state === 'delayed' ? 'deferred' : f.state,
      submittedAt: new Date(Number(timestamp)),
    };
    if (f.position !== undefined) summary.position = f.position;
    if (f.heldReason !== undefined) summary.heldReason = f.heldReason;
    return [summary];
  });
}

/**
 * One task of a tenant, looked for in `queue` or in every queue the tenant used; null when the
 * tenant has no such task. For a held task, its place in line (a scan of the held list: this is
 * for people, not for polling) and why it waits.
 */
export async function showTask(
  client: RedisClient,
  keys: KeyLayout,
  tenantId: string,
  taskId: string,
  options: { queue?: string } = {},
): Promise<TaskDetails | null> {
  const jobId = jobIdOf(tenantId, taskId);
  const queues = options.queue !== undefined ? [options.queue] : await client.smembers(keys.tenantQueues(tenantId));
  for (const queue of queues) {
    const jobKey = `${keys.bullPrefix()}:${queue}:${jobId}`;
    const [name, timestamp, attempts, failedReason, admittedFor, opts] = await client.hmget(
      jobKey, 'name', 'timestamp', 'atm', 'failedReason', 'tadm', 'opts',
    );
    if (!timestamp || (admittedFor !== tenantId && !(opts ?? '').includes(`"tid":"${tenantId}"`))) continue;
    const state = await readTaskState(client, keys, { tenantId, queue, jobId });
    const details: TaskDetails = {
      taskId,
      tenantId,
      queue,
      task: name ?? '',
      state,
      submittedAt: new Date(Number(timestamp)),
      attemptsMade: Number(attempts) || 0,
    };
    if (state === 'failed' && failedReason) details.failedReason = failedReason;
    if (state === 'held') Object.assign(details, await heldPlace(client, keys, tenantId, queue, jobId));
    return details;
  }
  return null;
}

async function heldPlace(
  client: RedisClient,
  keys: KeyLayout,
  tenantId: string,
  queue: string,
  jobId: string,
): Promise<{ position?: number; heldReason: HeldReason }> {
  const priority = Number(await client.hget(`${keys.bullPrefix()}:${queue}:${jobId}`, 'priority')) || 0;
  const index = await client.lpos(keys.held(tenantId, queue), priority > 0 ? `${jobId}:${priority}` : jobId);
  const heldReason = await heldReasonIn(client, keys, tenantId, queue);
  return index === null ? { heldReason } : { position: index + 1, heldReason };
}

/** Why the tenant's held tasks of a queue wait: the first limit that leaves no room. */
async function heldReasonIn(client: RedisClient, keys: KeyLayout, tenantId: string, queue: string): Promise<HeldReason> {
  const [enabled, cap, pool] = await client.hmget(keys.tenant(tenantId), 'enabled', 'max_concurrent_tasks', 'pool');
  // Windows are per lane: the queue as the tenant's pool sees it.
  const window = Number(await client.hget(keys.dispatchWindow(), laneOf(queue, pool ?? SHARED_POOL))) || DEFAULT_DISPATCH_WINDOW;
  let heldReason: HeldReason = 'behind_older_tasks';
  if (enabled === 'false') heldReason = 'disabled';
  else if (cap !== null && (await slotsInUse(client, keys, tenantId)) >= Number(cap)) heldReason = 'cap';
  else if (await heldByRate(client, keys, tenantId)) heldReason = 'rate';
  else if ((await client.zcount(keys.slots(tenantId, queue), '-inf', 0)) >= window) heldReason = 'window';
  return heldReason;
}

/** True while the tenant's rate limits allow no start beyond its waiting tasks. */
async function heldByRate(client: RedisClient, keys: KeyLayout, tenantId: string): Promise<boolean> {
  const reply = await tenancyScripts.tenantStats.run(client, [keys.tenants()], [keys.prefix, tenantId]);
  try {
    return decodeTenantStats(reply, tenantId).rateLimitedUntil !== null;
  } catch (error) {
    // A tenant deleted meanwhile holds nothing back by its rate.
    if (error instanceof TenantNotFoundError) return false;
    throw error;
  }
}

async function slotsInUse(client: RedisClient, keys: KeyLayout, tenantId: string): Promise<number> {
  const queues = await client.smembers(keys.tenantQueues(tenantId));
  const counts = await Promise.all(queues.map((q) => client.zcard(keys.slots(tenantId, q))));
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Waiting tasks from their slots (id, score, … highest score first: earliest dispatched first),
 * those dispatched in the same millisecond (one submission) by id, as they were submitted:
 * Redis orders equal scores by id the other way round.
 */
function waitingInOrder(flat: readonly string[]): string[] {
  const slots: { id: string; dispatchedAt: number }[] = [];
  for (let i = 0; i < flat.length; i += 2) slots.push({ id: flat[i]!, dispatchedAt: dispatchedAtOfWaitingSlot(Number(flat[i + 1])) });
  return slots.sort((a, b) => a.dispatchedAt - b.dispatchedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((s) => s.id);
}
