import type { RedisClient } from '../store/connection.js';
import { readRedisMemory, type RedisMemory } from '../dispatcher/memory-pressure.js';
import { LuaScript } from '../store/scripts.js';
import type { KeyLayout, UsageMetric } from '../core/keys.js';
import { isCodeAlone, replyChoice, replyInteger, replyList, replyString, unexpectedReply } from '../core/script-reply.js';

const metricsSnapshotScript = new LuaScript('metrics', 'metricsSnapshot', 1);

/** One reading of everything the Redis-derived gauges show, taken by `metricsSnapshot-1.lua`. */

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
  /** Held tasks by queue (only queues where some are held). */
  heldByQueue: Map<string, number>;
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

/** Tenants read per script call: each call stays a few milliseconds of Redis time. */
const TENANTS_PER_CALL = 200;

/**
 * Tenants the walk over all tenants looks at per refresh, reading the idle ones (nothing
 * waiting, held, deferred or running; the active ones are read in full first). Their figures
 * change only by the hour and day counters resetting, dead letters being removed and stored
 * results expiring, so a refresh reads all active tenants and the next slice of idle ones: its
 * cost follows the active tenants, and an idle tenant's figures are at most
 * ⌈tenants / IDLE_TENANTS_PER_REFRESH⌉ refreshes old.
 */
export const IDLE_TENANTS_PER_REFRESH = 1000;

/** A tenant's figures as last read, and the shard they were read from. */
interface CachedTenant {
  shard: number;
  figures: TenantFigures;
}

/**
 * Reads the snapshot of every shard this worker is the elected reconciler replica of (each
 * shard elects its own, so across replicas every shard is exported exactly once), in slices
 * (`metricsSnapshot-1.lua`), keeping the idle tenants' figures between refreshes. A queue's
 * figures are summed over the shards; each tenant is on one shard.
 */
export class SnapshotReader {
  private readonly tenants = new Map<string, CachedTenant>();
  /** Per shard: where the walk over all its tenants goes on, and whom this walk has seen. */
  private readonly walks: { cursor: string; seen: Set<string> }[];

  constructor(
    private readonly client: RedisClient,
    private readonly shards: readonly KeyLayout[],
    private readonly workerId: string,
    private readonly idlePerRefresh = IDLE_TENANTS_PER_REFRESH,
  ) {
    this.walks = shards.map(() => ({ cursor: '0', seen: new Set<string>() }));
  }

  /** One snapshot, or null when this worker is elected on no shard. */
  async read(): Promise<MetricsSnapshot | null> {
    const queues: QueueFigures[] = [];
    let elected = false;
    for (let shard = 0; shard < this.shards.length; shard++) {
      const shardQueues = await this.readShard(shard);
      if (shardQueues === null) {
        this.forgetShard(shard);
        continue;
      }
      elected = true;
      queues.push(...shardQueues);
    }
    if (!elected) return null;
    const snapshot = assembleSnapshot(queues, [...this.tenants.values()].map((t) => t.figures));
    snapshot.memory = await readRedisMemory(this.client);
    return snapshot;
  }

  /** A shard's queues, its active tenants and the next slice of all its tenants; null when not elected there. */
  private async readShard(shard: number): Promise<QueueFigures[] | null> {
    const queues = decodeQueueReply(await this.call(shard, 'queues'));
    if (queues === null) return null;
    let cursor = '0';
    do {
      const slice = decodeTenantSlice(await this.call(shard, 'active', cursor));
      if (slice === null) return null;
      this.keep(shard, slice);
      cursor = slice.cursor;
    } while (cursor !== '0');
    const walk = this.walks[shard]!;
    let budget = this.idlePerRefresh;
    while (budget > 0) {
      const slice = decodeTenantSlice(await this.call(shard, 'all', walk.cursor));
      if (slice === null) return null;
      this.keep(shard, slice);
      // By the tenants the call looked at (SSCAN's COUNT, a hint), active ones included.
      budget -= TENANTS_PER_CALL;
      walk.cursor = slice.cursor;
      if (walk.cursor === '0') {
        this.endWalk(shard);
        break;
      }
    }
    return queues;
  }

  private call(shard: number, what: 'queues' | 'active' | 'all', cursor = '0'): Promise<unknown> {
    const keys = this.shards[shard]!;
    return metricsSnapshotScript.run(this.client, [keys.tenants()], [
      keys.prefix,
      keys.reconcilerLock(),
      this.workerId,
      DLQ_READ_LIMIT,
      what,
      cursor,
      TENANTS_PER_CALL,
    ]);
  }

  private keep(shard: number, slice: TenantSlice): void {
    const { seen } = this.walks[shard]!;
    for (const figures of slice.tenants) {
      this.tenants.set(figures.tenantId, { shard, figures });
      seen.add(figures.tenantId);
    }
    for (const tenantId of slice.gone) this.tenants.delete(tenantId);
  }

  /** A walk over all of a shard's tenants is complete: whoever it did not see was deleted (or moved). */
  private endWalk(shard: number): void {
    const { seen } = this.walks[shard]!;
    for (const [tenantId, cached] of this.tenants) {
      if (cached.shard === shard && !seen.has(tenantId)) this.tenants.delete(tenantId);
    }
    seen.clear();
  }

  /** Another replica exports this shard now: its figures are not ours to export. */
  private forgetShard(shard: number): void {
    for (const [tenantId, cached] of this.tenants) if (cached.shard === shard) this.tenants.delete(tenantId);
    this.walks[shard] = { cursor: '0', seen: new Set<string>() };
  }
}

/** A complete snapshot read afresh (every tenant, nothing kept): for tools and tests. */
export function readSnapshot(client: RedisClient, shards: readonly KeyLayout[], workerId: string): Promise<MetricsSnapshot | null> {
  return new SnapshotReader(client, shards, workerId, Number.POSITIVE_INFINITY).read();
}

/** The queues summed over shards, with each queue's held tasks summed from its tenants'. */
export function assembleSnapshot(queues: readonly QueueFigures[], tenants: TenantFigures[]): MetricsSnapshot {
  const byQueue = new Map<string, QueueFigures>();
  for (const { queue, states } of queues) {
    const total = byQueue.get(queue);
    if (!total) byQueue.set(queue, { queue, states: { ...states } });
    else for (const state of QUEUE_STATES) total.states[state] += states[state];
  }
  for (const tenant of tenants) {
    for (const [queue, held] of tenant.heldByQueue) {
      const figures = byQueue.get(queue);
      if (figures) figures.states.held += held;
    }
  }
  return { queues: [...byQueue.values()], tenants };
}

/** The statuses of `metricsSnapshot-1.lua`'s reply (its locals NOT_ELECTED, ELECTED). */
export const SnapshotStatus = { NotElected: 0, Elected: 1 } as const;

const SCRIPT = 'metricsSnapshot';

/** Every queue's figures (held: 0, summed from the tenants later), or null when the caller is not elected. */
export function decodeQueueReply(reply: unknown): QueueFigures[] | null {
  if (isCodeAlone(reply, SnapshotStatus.NotElected)) return null;
  const [status, queues] = replyList(SCRIPT, reply, 2, '{0} or {1, queues}');
  if (status !== SnapshotStatus.Elected) throw unexpectedReply(SCRIPT, reply, '{0} or {1, queues}');
  return rows(queues, 'queues').map(decodeQueue);
}

export interface TenantSlice {
  cursor: string;
  tenants: TenantFigures[];
  /** Tenants listed that were deleted meanwhile. */
  gone: string[];
}

/** One slice of tenants, or null when the caller is not elected. */
export function decodeTenantSlice(reply: unknown): TenantSlice | null {
  if (isCodeAlone(reply, SnapshotStatus.NotElected)) return null;
  const expected = '{0} or {1, cursor, tenants, gone}';
  const [status, cursor, tenants, gone] = replyList(SCRIPT, reply, 4, expected);
  if (status !== SnapshotStatus.Elected) throw unexpectedReply(SCRIPT, reply, expected);
  return {
    cursor: replyString(SCRIPT, cursor, 'an SSCAN cursor'),
    tenants: rows(tenants, 'tenants').map(decodeTenant),
    gone: rows(gone, 'deleted tenants').map((id) => replyString(SCRIPT, id, 'a tenant id')),
  };
}

/** The positions of a queue's row (see the script's header): its states but `held`. */
const QUEUE_ROW = ['queue', 'waiting', 'paused', 'prioritized', 'active', 'delayed', 'waiting_children', 'completed', 'failed'] as const;

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
  'heldByQueue',
] as const;

function decodeQueue(raw: unknown): QueueFigures {
  const row = named(raw, QUEUE_ROW);
  return {
    queue: replyString(SCRIPT, row.queue, 'a queue name'),
    states: {
      waiting: integer(row.waiting),
      paused: integer(row.paused),
      prioritized: integer(row.prioritized),
      active: integer(row.active),
      delayed: integer(row.delayed),
      held: 0,
      waiting_children: integer(row.waiting_children),
      completed: integer(row.completed),
      failed: integer(row.failed),
    },
  };
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
    dlq: countsByName(row.dlq, '{queue, dead letters, ...}'),
    storedResults: integer(row.storedResults),
    heldByReason: held > 0 ? new Map([[replyString(SCRIPT, row.heldReason, 'why held tasks wait'), held]]) : new Map(),
    heldByQueue: countsByName(row.heldByQueue, '{queue, held, ...}'),
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

/** `{queue, count, ...}`: counts the script made. */
function countsByName(raw: unknown, what: string): Map<string, number> {
  return new Map(pairs(raw, what).map(([queue, n]) => [replyString(SCRIPT, queue, 'a queue name'), integer(n)]));
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
