import type { Queue } from 'bullmq';
import type { RedisClient } from '../store/connection.js';
import type { DeadLetterEntry } from '../dlq/entry.js';
import type { DeadLetterQueue } from '../dlq/queue.js';
import { TenantNotFoundError } from '../core/errors.js';
import { taskIdOf } from '../core/task-ids.js';
import type { AuditEntry } from '../tenancy/audit.js';
import type { UsageRow } from '../tenancy/usage.js';
import { laneOf, SHARED_POOL, type KeyLayout } from '../core/keys.js';
import type { TenantManager } from '../tenancy/manager.js';
import type { TenantStats } from '../tenancy/stats.js';
import type { Tenant } from '../tenancy/tenant.js';
import type { ShardRouter } from '../store/shards.js';

/**
 * What the console shows, read through the library's own classes (TenantManager, the
 * dead-letter queue, BullMQ's Queue): the figures are the ones `turbine tenant stats` and
 * `turbine dlq list` print, by construction. With several shards every reading covers all of
 * them: the tenant list and dead letters fan out in those classes, a tenant's own keys are read
 * on its shard, and a queue's figures are summed over the shards.
 */

export interface TenantRow {
  tenant: Tenant;
  /** The shard it lives on (0 on an unsharded deployment). */
  shard: number;
  stats: TenantStats;
  deadLetters: number;
}

export interface Overview {
  readAt: Date;
  tenants: TenantRow[];
}

export interface HeldTask {
  queue: string;
  taskId: string;
}

export interface TenantDetail {
  row: TenantRow;
  /** Shards configured: a sharded deployment's tenant page names the tenant's shard. */
  shards: number;
  held: HeldTask[];
  failures: DeadLetterEntry[];
  audit: AuditEntry[];
  /** Metered usage of the last 24 hours, by hour (hours without any count left out). */
  usage: UsageRow[];
}

export interface TenantDepth {
  tenantId: string;
  held: number;
  waiting: number;
  running: number;
}

export interface QueueView {
  queue: string;
  counts: Record<string, number>;
  byTenant: TenantDepth[];
  workers: WorkerLease[];
  /** Redis connections BullMQ registered for the queue on every shard (Queue.getWorkers), or null when CLIENT LIST is not allowed. */
  connections: number | null;
}

/**
 * A worker's announcement of its capacity on a queue (it renews it every reconciler pass). A
 * worker announces itself on every shard it consumes: the console adds those up into one lease,
 * its concurrency summed (the tasks of the queue it runs at once) and the earliest expiry.
 */
export interface WorkerLease {
  workerId: string;
  host: string;
  pid: string;
  queue: string;
  concurrency: number;
  expiresAt: Date;
}

export interface ConsoleSources {
  client: RedisClient;
  /** Every shard's keys, and where each tenant lives (read afresh: a move is seen at once). */
  shards: ShardRouter;
  manager: TenantManager;
  /** Reads and changes the dead letters of every shard. */
  deadLetters: DeadLetterQueue;
  /** BullMQ's Queue of a name on a shard, opened once on the console's connection. */
  queue: (name: string, shard: number) => Queue;
}

/** Held entries shown per queue on a tenant's page. */
const HELD_SHOWN = 20;

export async function readOverview({ manager, deadLetters }: ConsoleSources): Promise<Overview> {
  const tenants = await manager.listTenants();
  const rows = await Promise.all(
    tenants.map(async (tenant): Promise<TenantRow | null> => {
      try {
        const [shard, stats, count] = await Promise.all([
          manager.shardOf(tenant.tenantId),
          manager.getTenantStats(tenant.tenantId),
          deadLetters.count({ tenantId: tenant.tenantId }),
        ]);
        return { tenant, shard, stats, deadLetters: count };
      } catch (error) {
        // Deleted between the listing and its stats: it is simply gone from this reading.
        if (error instanceof TenantNotFoundError) return null;
        throw error;
      }
    }),
  );
  return { readAt: new Date(), tenants: rows.filter((row): row is TenantRow => row !== null) };
}

export async function readTenantDetail(sources: ConsoleSources, row: TenantRow): Promise<TenantDetail> {
  const { client, manager, deadLetters } = sources;
  const tenantId = row.tenant.tenantId;
  const keys = sources.shards.layout(row.shard);
  const queues = (await client.smembers(keys.tenantQueues(tenantId))).sort();
  const [heldLists, failures, audit, usage] = await Promise.all([
    Promise.all(queues.map((queue) => client.lrange(keys.held(tenantId, queue), 0, HELD_SHOWN - 1))),
    deadLetters.list({ tenantId, limit: 10 }),
    manager.getAuditLog(tenantId, { limit: 20 }),
    manager.getUsageReport({ tenantId, by: 'hour' }),
  ]);
  const held = queues.flatMap((queue, i) =>
    // A held entry is the job id, or `<jobId>:<priority>` for a prioritized task.
    heldLists[i]!.map((entry) => ({ queue, taskId: taskIdOf(entry.replace(/:\d+$/, '')) })),
  );
  return { row, shards: sources.shards.count, held, failures, audit, usage };
}

export async function readQueues(sources: ConsoleSources, overview: Overview): Promise<QueueView[]> {
  const { client, shards } = sources;
  const perShard = await Promise.all(
    shards.shards.map(async (keys) => {
      const [names, pools] = await Promise.all([client.smembers(keys.queues()), client.smembers(keys.pools())]);
      return { names, pools };
    }),
  );
  const names = [...new Set(perShard.flatMap((s) => s.names))].sort();
  return Promise.all(
    names.map(async (name): Promise<QueueView> => {
      const parts = await Promise.all(
        shards.shards.map((keys, shard) => {
          const tenants = overview.tenants.filter((row) => row.shard === shard);
          return readQueueOnShard(sources, keys, shard, name, perShard[shard]!.pools, tenants);
        }),
      );
      const counts: Record<string, number> = {};
      for (const part of parts) for (const [state, n] of Object.entries(part.counts)) counts[state] = (counts[state] ?? 0) + n;
      const connections = parts.some((p) => p.connections === null) ? null : parts.reduce((sum, p) => sum + p.connections!, 0);
      // Each tenant is on one shard: its depth is its shard's, listed in the overview's order.
      const depths = new Map(parts.flatMap((p) => p.byTenant).map((d) => [d.tenantId, d]));
      const byTenant = overview.tenants.flatMap(({ tenant }) => depths.get(tenant.tenantId) ?? []);
      return { queue: name, counts, byTenant, workers: mergeLeases(parts.flatMap((p) => p.workers)), connections };
    }),
  );
}

/** One shard's part of a queue's figures: its BullMQ lists, its tenants' depth, its workers. */
async function readQueueOnShard(
  sources: ConsoleSources,
  keys: KeyLayout,
  shard: number,
  name: string,
  pools: string[],
  tenants: TenantRow[],
): Promise<QueueView> {
  const { client } = sources;
  const queue = sources.queue(name, shard);
  // One pipeline per shard: on Redis Cluster a pipeline's keys must be in one slot.
  const depth = client.pipeline();
  for (const { tenant } of tenants) {
    depth
      .llen(keys.held(tenant.tenantId, name))
      .zcount(keys.slots(tenant.tenantId, name), '-inf', 0)
      .zcount(keys.slots(tenant.tenantId, name), '(0', '+inf');
  }
  const [counts, replies, leases, connections, pooledWaiting] = await Promise.all([
    queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed', 'completed'),
    depth.exec(),
    Promise.all([SHARED_POOL, ...pools].map((pool) => readLeases(client, keys, laneOf(name, pool)))).then((l) => l.flat()),
    queue.getWorkers().then(
      (workers) => workers.length,
      () => null,
    ),
    // BullMQ counts the shared pool's wait list only; each dedicated pool has its own.
    Promise.all(pools.map((pool) => client.llen(keys.poolBullKey(name, pool, 'wait')))),
  ]);
  counts.wait = (counts.wait ?? 0) + pooledWaiting.reduce((a, b) => a + b, 0);
  const n = (i: number): number => Number(replies?.[i]?.[1] ?? 0);
  const byTenant = tenants
    .map(({ tenant }, t) => ({ tenantId: tenant.tenantId, held: n(t * 3), waiting: n(t * 3 + 1), running: n(t * 3 + 2) }))
    .filter((d) => d.held + d.waiting + d.running > 0);
  return { queue: name, counts, byTenant, workers: leases, connections };
}

/** One lease per worker and lane out of its leases on every shard (see {@link WorkerLease}). */
function mergeLeases(leases: WorkerLease[]): WorkerLease[] {
  const merged = new Map<string, WorkerLease>();
  for (const lease of leases) {
    const key = `${lease.workerId}\n${lease.queue}`;
    const seen = merged.get(key);
    if (!seen) merged.set(key, { ...lease });
    else {
      seen.concurrency += lease.concurrency;
      if (lease.expiresAt < seen.expiresAt) seen.expiresAt = lease.expiresAt;
    }
  }
  return [...merged.values()].sort((a, b) => a.workerId.localeCompare(b.workerId) || a.queue.localeCompare(b.queue));
}

/** The workers of one lane (a queue as one pool sees it; a dedicated pool's show as `<queue>@<pool>`). */
async function readLeases(client: RedisClient, keys: KeyLayout, queue: string): Promise<WorkerLease[]> {
  const entries = await client.hgetall(keys.capacity(queue));
  return Object.entries(entries)
    .map(([workerId, value]) => {
      const [concurrency, expiresAt] = value.split(':').map(Number);
      // Worker ids are `<host>:<pid>:<random>`.
      const parts = workerId.split(':');
      return {
        workerId,
        host: parts.slice(0, -2).join(':') || workerId,
        pid: parts.at(-2) ?? '',
        queue,
        concurrency: concurrency ?? 0,
        expiresAt: new Date(expiresAt ?? 0),
      };
    })
    .sort((a, b) => a.workerId.localeCompare(b.workerId));
}
