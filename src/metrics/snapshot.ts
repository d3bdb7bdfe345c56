import type { RedisClient } from '../store/connection.js';
import { readRedisMemory, type RedisMemory } from '../dispatcher/memory-pressure.js';
import { LuaScript } from '../store/scripts.js';
import type { KeyLayout, UsageMetric } from '../core/keys.js';

const metricsSnapshotScript = new LuaScript('metrics', 'metricsSnapshot', 1);

/**
 * One reading of everything the Redis-derived gauges show, taken by `metricsSnapshot-1.lua`
 * in a single round trip.
 */

export const QUEUE_STATES = [
  'waiting',
  'paused',
  'prioritized',
  'active',
  'delayed',
  'held',
  'waiting_children',
  'completed',
  'failed',
] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export interface QueueFigures {
  queue: string;
  states: Record<QueueState, number>;
}

export interface TenantFigures {
  tenantId: string;
  enabled: boolean;
  usage: Record<UsageMetric, number>;
  held: number;
  waiting: number;
  running: number;
  deferred: number;
  /** Submission time (ms) of the oldest held task, or null when none is held. */
  oldestHeldAt: number | null;
  /** The quotas that are set, by the Python SDK's name (`max_tasks_per_hour`, …). */
  quotas: Map<string, number>;
  /** Dead-letter entries by queue. */
  dlq: Map<string, number>;
  /** Finished tasks whose result or failure is stored. */
  storedResults: number;
  /** Held tasks by why they wait (`disabled`, `cap`, `rate`, `window`). */
  heldByReason: Map<string, number>;
}

export interface MetricsSnapshot {
  queues: QueueFigures[];
  tenants: TenantFigures[];
  /** Redis's memory, read with the snapshot (INFO memory). */
  memory?: RedisMemory;
}

/**
 * Newest DLQ entry ids read per tenant to split its count by queue. The split is exact up to
 * this many entries; it bounds the cost of a refresh when dead letters pile up by the million.
 */
export const DLQ_READ_LIMIT = 1000;

/**
 * Reads a snapshot of every shard this worker is the elected reconciler replica of (each shard
 * elects its own, so across replicas every shard is exported exactly once), or null when it is
 * elected on none. A queue's figures are summed over the shards; each tenant is on one shard.
 */
export async function readSnapshot(client: RedisClient, shards: readonly KeyLayout[], workerId: string): Promise<MetricsSnapshot | null> {
  const replies = await Promise.all(
    shards.map((keys) =>
      metricsSnapshotScript.run(client, [keys.tenants()], [keys.prefix, keys.reconcilerLock(), workerId, DLQ_READ_LIMIT]),
    ),
  );
  const parts = replies.map(parseSnapshot).filter((part): part is MetricsSnapshot => part !== null);
  if (parts.length === 0) return null;
  const snapshot: MetricsSnapshot = { queues: sumQueues(parts.flatMap((p) => p.queues)), tenants: parts.flatMap((p) => p.tenants) };
  snapshot.memory = await readRedisMemory(client);
  return snapshot;
}

function sumQueues(figures: QueueFigures[]): QueueFigures[] {
  const byQueue = new Map<string, QueueFigures>();
  for (const { queue, states } of figures) {
    const total = byQueue.get(queue);
    if (!total) byQueue.set(queue, { queue, states: { ...states } });
    else for (const state of QUEUE_STATES) total.states[state] += states[state];
  }
  return [...byQueue.values()];
}

export function parseSnapshot(reply: unknown): MetricsSnapshot | null {
  const top = list(reply);
  if (num(top[0]) !== 1) return null;
  return {
    queues: list(top[1]).map(parseQueue),
    tenants: list(top[2]).map(parseTenant),
  };
}

function parseQueue(raw: unknown): QueueFigures {
  const row = list(raw);
  const states = {} as Record<QueueState, number>;
  QUEUE_STATES.forEach((state, i) => (states[state] = num(row[i + 1])));
  return { queue: String(row[0]), states };
}

/** A tenant's row, in the order `metricsSnapshot-1.lua` writes it (see its header). */
function parseTenant(raw: unknown): TenantFigures {
  const [tenantId, enabled, tasksHour, tasksDay, concurrent, total, held, waiting, running, deferred, oldestHeld, quotas, dlq, storedResults, heldReason] =
    list(raw);
  const oldest = num(oldestHeld);
  return {
    tenantId: String(tenantId),
    enabled: num(enabled) === 1,
    usage: { tasks_hour: num(tasksHour), tasks_day: num(tasksDay), concurrent: num(concurrent), total: num(total) },
    held: num(held),
    waiting: num(waiting),
    running: num(running),
    deferred: num(deferred),
    oldestHeldAt: oldest > 0 ? oldest : null,
    quotas: pairs(quotas),
    dlq: pairs(dlq),
    storedResults: num(storedResults),
    heldByReason: num(held) > 0 ? new Map([[String(heldReason), num(held)]]) : new Map(),
  };
}

function pairs(raw: unknown): Map<string, number> {
  const flat = list(raw);
  const out = new Map<string, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(String(flat[i]), num(flat[i + 1]));
  return out;
}

function list(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`metricsSnapshot: expected a list in the reply, got ${JSON.stringify(value)}`);
  return value;
}

function num(value: unknown): number {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}
