import type { RedisClient } from '../store/connection.js';
import { readRedisMemory, type RedisMemory } from '../dispatcher/memory-pressure.js';
import { LuaScript } from '../store/scripts.js';
import type { KeyLayout, UsageMetric } from '../core/keys.js';
import { isCodeAlone, replyChoice, replyInteger, replyList, replyString, unexpectedReply } from '../core/script-reply.js';

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
  const parts = replies.map(decodeSnapshot).filter((part): part is MetricsSnapshot => part !== null);
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

/** The statuses of `metricsSnapshot-1.lua`'s reply (its locals NOT_ELECTED, ELECTED). */
export const SnapshotStatus = { NotElected: 0, Elected: 1 } as const;

const SCRIPT = 'metricsSnapshot';

/** The positions of a queue's row (see the script's header). */
const QUEUE_ROW = ['queue', ...QUEUE_STATES] as const;

/** The positions of a tenant's row (see the script's header). */
const TENANT_ROW = [
  'tenantId',
  'enabled',
  'tasksHour',
  'tasksDay',
  'concurrent',
  'total',
  'held',
  'waiting',
  'running',
  'deferred',
  'oldestHeldAt',
  'quotas',
  'dlq',
  'storedResults',
  'heldReason',
] as const;

/**
 * Decodes `metricsSnapshot-1.lua`'s reply: null when the caller is not the elected replica;
 * a reply of any other shape is an `InternalError`.
 */
export function decodeSnapshot(reply: unknown): MetricsSnapshot | null {
  if (isCodeAlone(reply, SnapshotStatus.NotElected)) return null;
  const [status, queues, tenants] = replyList(SCRIPT, reply, 3, '{0} or {1, queues, tenants}');
  if (status !== SnapshotStatus.Elected) throw unexpectedReply(SCRIPT, reply, '{0} or {1, queues, tenants}');
  return {
    queues: rows(queues, 'queues').map(decodeQueue),
    tenants: rows(tenants, 'tenants').map(decodeTenant),
  };
}

function decodeQueue(raw: unknown): QueueFigures {
  const row = named(raw, QUEUE_ROW);
  const states = {} as Record<QueueState, number>;
  for (const state of QUEUE_STATES) states[state] = integer(row[state]);
  return { queue: replyString(SCRIPT, row.queue, 'a queue name'), states };
}

function decodeTenant(raw: unknown): TenantFigures {
  const row = named(raw, TENANT_ROW);
  const held = integer(row.held);
  const oldest = integer(row.oldestHeldAt);
  return {
    tenantId: replyString(SCRIPT, row.tenantId, 'a tenant id'),
    enabled: replyChoice(SCRIPT, row.enabled, [0, 1], 'enabled 1 or 0') === 1,
    usage: { tasks_hour: integer(row.tasksHour), tasks_day: integer(row.tasksDay), concurrent: integer(row.concurrent), total: integer(row.total) },
    held,
    waiting: integer(row.waiting),
    running: integer(row.running),
    deferred: integer(row.deferred),
    oldestHeldAt: oldest > 0 ? oldest : null,
    quotas: quotaLimits(row.quotas),
    dlq: dlqCounts(row.dlq),
    storedResults: integer(row.storedResults),
    heldByReason: held > 0 ? new Map([[replyString(SCRIPT, row.heldReason, 'why held tasks wait'), held]]) : new Map(),
  };
}

/** A row of the reply, by the names of its positions. */
function named<const F extends readonly string[]>(raw: unknown, fields: F): Record<F[number], unknown> {
  const row = replyList(SCRIPT, raw, fields.length, `a row {${fields.join(', ')}}`);
  return Object.fromEntries(fields.map((field, i) => [field, row[i]])) as Record<F[number], unknown>;
}

function rows(value: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(value)) throw unexpectedReply(SCRIPT, value, `a list of ${what}`);
  return value;
}

/** `{name, value, ...}` pairs, as a flat list. */
function pairs(raw: unknown, what: string): [unknown, unknown][] {
  const flat = rows(raw, what);
  if (flat.length % 2 !== 0) throw unexpectedReply(SCRIPT, raw, what);
  return Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]);
}

/** `{queue, dead letters, ...}`: counts the script made. */
function dlqCounts(raw: unknown): Map<string, number> {
  return new Map(pairs(raw, '{queue, dead letters, ...}').map(([queue, n]) => [replyString(SCRIPT, queue, 'a queue name'), integer(n)]));
}

/**
 * `{quota name, limit, ...}`: the stored strings of the tenant's hash. Turbine writes only
 * validated integers there; a hand-edited value that is no number is left out, so that one bad
 * field cannot stop every gauge.
 */
function quotaLimits(raw: unknown): Map<string, number> {
  const limits = new Map<string, number>();
  for (const [name, value] of pairs(raw, '{quota name, limit, ...}')) {
    const limit = Number(value);
    if (Number.isFinite(limit)) limits.set(replyString(SCRIPT, name, 'a quota name'), limit);
  }
  return limits;
}

function integer(value: unknown): number {
  return replyInteger(SCRIPT, value, 'an integer');
}
