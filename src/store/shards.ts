import { InvalidArgumentError } from '../core/errors.js';
import { KeyLayout } from '../core/keys.js';
import { hashTag } from './cluster.js';
import type { RedisClient } from './connection.js';

/**
 * Tenants sharded over several complete Turbine keyspaces. Each shard is a prefix of its own
 * whose hash tag differs (`{turbine-0}` … `{turbine-N-1}`), so on Redis Cluster each lands in
 * its own slot and the shards spread over the primaries; every key of one tenant, and of the
 * BullMQ queues its tasks are in, stays in its shard, so its quotas, caps, held tasks, fairness
 * and dead letters stay atomic inside one slot. One shard (the default) is the prefix itself:
 * the key layout of a single Redis, unchanged.
 *
 * Where each tenant lives is stored in Redis (`<shard 0>:tenant-shards`, tenant id → shard),
 * written when the tenant is created and changed only by `turbine tenant move`.
 */

export const MAX_SHARDS = 1024;

/** `TURBINE_SHARDS`, else 1; refuses anything but a whole number from 1 to {@link MAX_SHARDS}. */
export function resolveShardCount(explicit?: number): number {
  const raw = explicit ?? process.env.TURBINE_SHARDS ?? 1;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
    throw new InvalidArgumentError(
      `Invalid shard count ${JSON.stringify(raw)}: expected a whole number from 1 to ${MAX_SHARDS} ` +
        '(shards, --shards or TURBINE_SHARDS; the same for workers, producers and the CLI)',
    );
  }
  return count;
}

/**
 * The prefixes of `count` shards of `prefix`: the prefix itself for one shard; otherwise the
 * shard's number added inside the prefix's hash tag (`{turbine}` → `{turbine-2}`,
 * `app:{jobs}` → `app:{jobs-2}`), or the whole prefix made the tag (`turbine` → `{turbine-2}`).
 */
export function shardPrefixes(prefix: string, count: number): string[] {
  if (count === 1) return [prefix];
  const tag = hashTag(prefix);
  return Array.from({ length: count }, (_, shard) => {
    if (tag === null) return `{${prefix}-${shard}}`;
    const open = prefix.indexOf('{');
    return `${prefix.slice(0, open)}{${tag}-${shard}}${prefix.slice(open + tag.length + 2)}`;
  });
}

/**
 * The shard a new tenant is given: a stable hash (FNV-1a, 32 bits) of its id, modulo the
 * shard count. Stable, so two processes creating the same tenant at once agree without
 * reading anything, and tenants spread evenly by count; how busy a tenant will be is not known
 * when it is created, so balancing by load is left to `turbine tenant move`.
 */
export function hashShard(tenantId: string, count: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(tenantId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

/**
 * Routes tenants to their shard. Producers and the tenant manager keep one; a lookup reads the
 * stored mapping once per tenant and process (a single shard reads nothing). A caller that
 * finds the tenant gone from the shard it was told calls {@link forget} and asks again: the
 * tenant may have been moved.
 */
export class ShardRouter {
  readonly shards: readonly KeyLayout[];
  private readonly cache = new Map<string, number>();

  /** `cached`: remember each tenant's shard in this process (producers); off, read it every time. */
  constructor(
    /** The configured prefix the shards' prefixes are made from. */
    readonly prefix: string,
    count: number,
    private readonly cached = true,
  ) {
    this.shards = shardPrefixes(prefix, count).map((p) => new KeyLayout(p));
  }

  get count(): number {
    return this.shards.length;
  }

  /** Hash: tenant id → shard number (on shard 0). */
  get mappingKey(): string {
    return `${this.shards[0]!.prefix}:tenant-shards`;
  }

  /** The keys of shard `shard`, or an error naming the shards there are. */
  layout(shard: number): KeyLayout {
    const keys = this.shards[shard];
    if (!Number.isInteger(shard) || !keys) {
      throw new InvalidArgumentError(`Invalid shard ${shard}: expected 0 to ${this.count - 1} (${this.count} shards configured)`);
    }
    return keys;
  }

  /**
   * The shard of `tenantId`: as stored, else the one it would be created on (where a lookup
   * then finds no tenant and says so).
   */
  async shardOf(client: RedisClient, tenantId: string): Promise<number> {
    if (this.count === 1) return 0;
    const cached = this.cache.get(tenantId);
    if (cached !== undefined) return cached;
    const stored = await client.hget(this.mappingKey, tenantId);
    if (stored === null) return hashShard(tenantId, this.count);
    return this.remember(tenantId, Number(stored));
  }

  /** The keys of the shard of `tenantId`. */
  async keysOf(client: RedisClient, tenantId: string): Promise<KeyLayout> {
    return this.layout(await this.shardOf(client, tenantId));
  }

  /** Gives a tenant being created its shard, unless it has one (`HSETNX`: concurrent creators agree). */
  async assign(client: RedisClient, tenantId: string): Promise<number> {
    if (this.count === 1) return 0;
    const shard = hashShard(tenantId, this.count);
    await client.hsetnx(this.mappingKey, tenantId, shard);
    this.cache.delete(tenantId);
    return this.shardOf(client, tenantId);
  }

  /** Points `tenantId` at `shard` (the commit step of a move). */
  async set(client: RedisClient, tenantId: string, shard: number): Promise<void> {
    this.layout(shard);
    await client.hset(this.mappingKey, tenantId, shard);
    this.remember(tenantId, shard);
  }

  /** Removes a deleted tenant's entry. */
  async unassign(client: RedisClient, tenantId: string): Promise<void> {
    this.cache.delete(tenantId);
    if (this.count > 1) await client.hdel(this.mappingKey, tenantId);
  }

  /** Drops what this process remembers of `tenantId`'s shard. */
  forget(tenantId: string): void {
    this.cache.delete(tenantId);
  }

  private remember(tenantId: string, shard: number): number {
    if (shard >= this.count) {
      throw new InvalidArgumentError(
        `Tenant '${tenantId}' lives on shard ${shard}, but only ${this.count} shards are configured: ` +
          `configure ${shard + 1} or more (shards, --shards or TURBINE_SHARDS), or move the tenant first`,
      );
    }
    if (this.cached) this.cache.set(tenantId, shard);
    return shard;
  }
}
