import { duplicateClient, type RedisClient } from '../store/connection.js';
import { InvalidArgumentError, TenantNotFoundError } from '../core/errors.js';
import { tenancyScripts, type TenancyScriptName } from './scripts.js';
import { RedisClientHolder, type RedisClientOptions } from '../store/holder.js';
import { resolveActor } from './actor.js';
import { readAuditLog, type AuditEntry } from './audit.js';
import type { ShardRouter } from '../store/shards.js';
import { moveTenant, type MoveResult } from './move.js';
import { SHARED_POOL, USAGE_METRICS, type KeyLayout, type UsageMetric } from '../core/keys.js';
import { checkQuotaAgainst, type QuotaCheckResult, type QuotaType } from './quota-check.js';
import { parseQuotas, type TenantQuotas } from './quotas.js';
import type { TenantStats } from './stats.js';
import { decodeChangeUsage, decodeCreateTenant, decodeDeleteTenant, decodeTenantStats, decodeUpdateTenant } from './replies.js';
import {
  assertTenantName,
  parseMetadata,
  quotaFields,
  tenantFromHash,
  tenantToJson,
  type Tenant,
  type TenantMetadata,
} from './tenant.js';
import { assertPoolName, assertQueueName, assertTenantId } from './validation.js';
import { drainTenant, type DrainResult } from './drain.js';
import { exportUsage, readUsageReport, type UsageExportQuery, type UsageReportQuery } from './usage-report.js';
import type { UsageRow } from './usage.js';

export interface TenantManagerOptions extends RedisClientOptions {
  /** Who is making changes, for the audit trail. @defaultValue `TURBINE_ACTOR`, else the OS user */
  actor?: string;
}

export interface CreateTenantInput {
  tenantId: string;
  name: string;
  quotas?: TenantQuotas;
  metadata?: TenantMetadata;
  /** Create it disabled (submissions refused until enabled). @defaultValue true */
  enabled?: boolean;
  /** The worker pool that runs its tasks (workers started with `--pool <pool>`). @defaultValue 'shared' */
  pool?: string;
}

export interface UpdateTenantInput {
  name?: string;
  enabled?: boolean;
  /**
   * Moves it to another worker pool. Its waiting and held tasks go to the new pool's workers in
   * the same step; running ones finish where they are.
   */
  pool?: string;
  /** Quotas to change; others keep their value. `null` makes a quota unlimited. */
  quotas?: TenantQuotas;
  /** Replaces the metadata. */
  metadata?: TenantMetadata;
}

export interface DeleteTenantOptions {
  /** Delete even with queued tasks, sending them to the dead-letter queue. @defaultValue false */
  force?: boolean;
}

const DELETE_BATCH = 1000;

/**
 * Creates, reads, updates and deletes tenants, and reads and changes their usage: the
 * Python SDK's `TenantManager`. Every change is atomic, written to the tenant's audit trail and
 * announced on the change channel.
 */
export class TenantManager {
  /** The keys of shard 0 (with one shard, the only one). */
  readonly keys: KeyLayout;
  /** Where each tenant lives; read afresh on every call (a move by another process is seen at once). */
  readonly shards: ShardRouter;
  private readonly redis: RedisClientHolder;
  private readonly actor: string;

  constructor(options: TenantManagerOptions = {}) {
    this.redis = new RedisClientHolder(options);
    this.shards = this.redis.router({ cached: false });
    this.keys = this.shards.layout(0);
    this.actor = resolveActor(options.actor);
  }

  async createTenant(input: CreateTenantInput): Promise<Tenant> {
    const tenantId = assertTenantId(input.tenantId);
    const name = assertTenantName(input.name);
    const quotas = parseQuotas(input.quotas);
    const metadata = parseMetadata(input.metadata);
    const now = new Date();
    const tenant: Tenant = {
      tenantId,
      name,
      enabled: input.enabled ?? true,
      pool: input.pool === undefined ? SHARED_POOL : assertPoolName(input.pool),
      quotas,
      metadata,
      createdAt: now,
      updatedAt: now,
    };
    const fields = {
      tenant_id: tenantId,
      name,
      enabled: String(tenant.enabled),
      pool: tenant.pool,
      metadata: JSON.stringify(metadata),
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      ...quotaFields(quotas).set,
    };
    const shard = await this.shards.assign(await this.client(), tenantId);
    const reply = await this.runOn(this.shards.layout(shard), 'createTenant', [
      tenantId,
      JSON.stringify(fields),
      now.toISOString(),
      this.actor,
      JSON.stringify(tenantToJson(tenant)),
    ]);
    decodeCreateTenant(reply, tenantId);
    return tenant;
  }

  async getTenant(tenantId: string): Promise<Tenant | null> {
    assertTenantId(tenantId);
    const hash = await (await this.client()).hgetall((await this.keysOf(tenantId)).tenant(tenantId));
    return hash.tenant_id ? tenantFromHash(hash) : null;
  }

  /** Like {@link getTenant}, but raises {@link TenantNotFoundError} when absent. */
  async requireTenant(tenantId: string): Promise<Tenant> {
    const tenant = await this.getTenant(tenantId);
    if (!tenant) throw new TenantNotFoundError(tenantId);
    return tenant;
  }

  /** All tenants of every shard, sorted by id. */
  async listTenants(): Promise<Tenant[]> {
    const client = await this.client();
    const perShard = await Promise.all(this.shards.shards.map((keys) => listShardTenants(client, keys)));
    return perShard.flat().sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0));
  }

  /** The shard `tenantId` lives on (0 with one shard). */
  async shardOf(tenantId: string): Promise<number> {
    assertTenantId(tenantId);
    return this.shards.shardOf(await this.client(), tenantId);
  }

  /**
   * Moves a tenant to shard `shard`: its configuration, usage counters, metered usage and audit
   * trail go with it. Refused with {@link TenantHasQueuedTasksError} while the tenant has tasks
   * waiting, held, deferred or running (see docs/deployment.md, "Moving a tenant").
   */
  async moveTenant(tenantId: string, shard: number): Promise<MoveResult> {
    assertTenantId(tenantId);
    const client = await this.client();
    return moveTenant(client, this.shards, tenantId, shard, (keys, name, args) => this.runOn(keys, name, [tenantId, ...args]), this.actor);
  }

  /**
   * Changes a tenant. Quotas given are merged into the current ones (`null` removes a limit).
   * Enabling a tenant, or raising its cap, starts its held tasks at once.
   */
  async updateTenant(tenantId: string, input: UpdateTenantInput): Promise<Tenant> {
    assertTenantId(tenantId);
    const set: Record<string, string> = {};
    const unset: string[] = [];
    if (input.name !== undefined) set.name = assertTenantName(input.name);
    if (input.enabled !== undefined) {
      if (typeof input.enabled !== 'boolean') throw new InvalidArgumentError('Invalid enabled: expected true or false');
      set.enabled = String(input.enabled);
    }
    if (input.pool !== undefined) set.pool = assertPoolName(input.pool);
    if (input.metadata !== undefined) set.metadata = JSON.stringify(parseMetadata(input.metadata));
    if (input.quotas !== undefined) {
      const fields = quotaFields(parseQuotas(input.quotas));
      Object.assign(set, fields.set);
      unset.push(...fields.unset);
    }
    const now = new Date();
    const reply = await this.run(tenantId, 'updateTenant', [
      JSON.stringify(set),
      JSON.stringify(unset),
      now.toISOString(),
      this.actor,
      now.getTime(),
    ]);
    decodeUpdateTenant(reply, tenantId);
    return this.requireTenant(tenantId);
  }

  /**
   * Deletes the tenant's configuration and usage counters; task results, dead-letter entries
   * and the audit trail stay. A tenant with queued tasks needs `force`, which sends them to
   * the dead-letter queue (reason `tenant_deleted`). Returns false when there was no tenant.
   */
  async deleteTenant(tenantId: string, options: DeleteTenantOptions = {}): Promise<boolean> {
    assertTenantId(tenantId);
    for (;;) {
      const now = new Date();
      const reply = await this.run(tenantId, 'deleteTenant', [
        options.force ? '1' : '0',
        now.toISOString(),
        this.actor,
        now.getTime(),
        DELETE_BATCH,
      ]);
      const { status } = decodeDeleteTenant(reply, tenantId);
      if (status === 'more_batches') continue;
      if (status === 'deleted') await this.shards.unassign(await this.client(), tenantId);
      return status === 'deleted';
    }
  }

  /**
   * Removes the tenant's waiting, held and delayed tasks (of `queue`, or of all its queues) at
   * once, audited; running tasks finish. Frees the tenant's slots immediately.
   */
  async drainTenant(tenantId: string, options: { queue?: string } = {}): Promise<DrainResult> {
    assertTenantId(tenantId);
    const queue = options.queue === undefined ? undefined : assertQueueName(options.queue);
    return drainTenant(await this.client(), await this.keysOf(tenantId), tenantId, { queue, actor: this.actor });
  }

  /**
   * The Python SDK's advisory check: would one more of `quotaType` be allowed now? Returns
   * `[true, null]` or `[false, reason]`; Turbine enforces the same limits itself on submission.
   * `currentValue` replaces the stored usage (and is required for size and retry checks).
   */
  async checkQuota(tenantId: string, quotaType: QuotaType, currentValue?: number): Promise<QuotaCheckResult> {
    assertTenantId(tenantId);
    const tenant = await this.getTenant(tenantId);
    if (!tenant) return [false, new TenantNotFoundError(tenantId).message];
    const needsStats = currentValue === undefined;
    const stats = needsStats ? await this.getTenantStats(tenantId) : null;
    return checkQuotaAgainst(tenant, quotaType, currentValue, stats);
  }

  /** Adds to a usage counter; with `ttlSeconds`, a new counter expires after that window. */
  async incrementUsage(tenantId: string, metric: UsageMetric, amount = 1, ttlSeconds?: number): Promise<number> {
    return this.changeUsage(tenantId, metric, amount, ttlSeconds);
  }

  /** Takes from a usage counter; it never goes below 0. */
  async decrementUsage(tenantId: string, metric: UsageMetric, amount = 1): Promise<number> {
    return this.changeUsage(tenantId, metric, -amount, undefined);
  }

  /**
   * A usage counter. `concurrent` is the running count, read from the tasks' slots (the Python SDK's
   * `usage:concurrent` key mirrors it and is rewritten by the reconciler every few seconds).
   */
  async getUsage(tenantId: string, metric: UsageMetric): Promise<number> {
    assertTenantId(tenantId);
    assertUsageMetric(metric);
    if (metric === 'concurrent') return (await this.getTenantStats(tenantId)).concurrentTasks;
    const client = await this.client();
    const keys = await this.keysOf(tenantId);
    const [[, exists], [, value]] = (await client
      .pipeline()
      .exists(keys.tenant(tenantId))
      .get(keys.usage(tenantId, metric))
      .exec()) as [[null, number], [null, string | null]];
    if (!exists) throw new TenantNotFoundError(tenantId);
    return Number(value ?? 0);
  }

  async getTenantStats(tenantId: string): Promise<TenantStats> {
    assertTenantId(tenantId);
    return decodeTenantStats(await this.run(tenantId, 'tenantStats', []), tenantId);
  }

  /**
   * The tenant's metered usage by hour or UTC day over a range (default: the last 24 hours by
   * hour), oldest first, periods without any count left out. Counted by the dispatcher's
   * scripts as tasks are admitted, refused, started and finished, and kept for the metering
   * retention (35 days by default) also after the tenant is deleted.
   */
  async getUsageReport(query: UsageReportQuery): Promise<UsageRow[]> {
    assertTenantId(query.tenantId);
    assertUsagePeriod(query.by);
    return readUsageReport(await this.client(), await this.keysOf(query.tenantId), query);
  }

  /**
   * Every tenant's usage by hour over a range, streamed: rows come hour by hour, tenants in
   * batches, in constant memory; with several shards, one shard after the other.
   */
  async *exportUsage(query: UsageExportQuery): AsyncGenerator<UsageRow> {
    const client = await this.client();
    for (const keys of this.shards.shards) yield* exportUsage(client, keys, query);
  }

  /** The tenant's audit trail, newest first (kept after the tenant is deleted). */
  async getAuditLog(tenantId: string, options: { limit?: number } = {}): Promise<AuditEntry[]> {
    assertTenantId(tenantId);
    return readAuditLog(await this.client(), (await this.keysOf(tenantId)).audit(tenantId), options.limit ?? 50);
  }

  /**
   * Calls `listener` with the tenant id whenever a tenant is created, changed or deleted, in
   * any process. Returns a function that stops listening.
   */
  async onChange(listener: (tenantId: string) => void): Promise<() => Promise<void>> {
    const subscriber = duplicateClient(await this.client(), 'command');
    subscriber.on('error', () => undefined);
    // The duplicate is lazy and has no offline queue: connect before subscribing.
    await subscriber.connect();
    const channels = this.shards.shards.map((keys) => keys.changesChannel());
    subscriber.on('message', (from: string, tenantId: string) => {
      if (channels.includes(from)) listener(tenantId);
    });
    await subscriber.subscribe(...channels);
    return async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
    };
  }

  /** The Redis client, connecting on first use. */
  async client(): Promise<RedisClient> {
    return this.redis.get();
  }

  async close(): Promise<void> {
    await this.redis.close();
  }

  private async changeUsage(
    tenantId: string,
    metric: UsageMetric,
    amount: number,
    ttlSeconds: number | undefined,
  ): Promise<number> {
    assertTenantId(tenantId);
    assertUsageMetric(metric);
    if (!Number.isSafeInteger(amount)) {
      throw new InvalidArgumentError(`Invalid amount ${amount}: expected an integer`);
    }
    if (ttlSeconds !== undefined && (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0)) {
      throw new InvalidArgumentError(`Invalid ttl ${ttlSeconds}: expected a positive number of seconds`);
    }
    return decodeChangeUsage(await this.run(tenantId, 'changeUsage', [metric, amount, ttlSeconds ?? 0]), tenantId);
  }

  /**
   * Runs a tenancy script on the shard of `tenantId` (its first argument); the raw reply is
   * for the script's decoder in replies.ts.
   */
  private async run(tenantId: string, name: TenancyScriptName, args: (string | number)[]): Promise<unknown> {
    return this.runOn(await this.keysOf(tenantId), name, [tenantId, ...args]);
  }

  private async runOn(keys: KeyLayout, name: TenancyScriptName, args: (string | number)[]): Promise<unknown> {
    const client = await this.client();
    return tenancyScripts[name].run(client, [keys.tenants()], [keys.prefix, ...args]);
  }

  private async keysOf(tenantId: string): Promise<KeyLayout> {
    return this.shards.keysOf(await this.client(), tenantId);
  }
}

async function listShardTenants(client: RedisClient, keys: KeyLayout): Promise<Tenant[]> {
  const ids = await client.smembers(keys.tenants());
  if (ids.length === 0) return [];
  const pipeline = client.pipeline();
  for (const id of ids) pipeline.hgetall(keys.tenant(id));
  const results = (await pipeline.exec()) ?? [];
  return results
    .map(([, hash]) => hash as Record<string, string>)
    .filter((hash) => hash.tenant_id)
    .map(tenantFromHash);
}

function assertUsageMetric(metric: unknown): asserts metric is UsageMetric {
  if (!USAGE_METRICS.includes(metric as UsageMetric)) {
    throw new InvalidArgumentError(
      `Invalid usage metric ${JSON.stringify(metric)}: expected one of ${USAGE_METRICS.join(', ')}`,
    );
  }
}

function assertUsagePeriod(by: unknown): void {
  if (by !== undefined && by !== 'hour' && by !== 'day') {
    throw new InvalidArgumentError(`Invalid usage period ${JSON.stringify(by)}: expected 'hour' or 'day'`);
  }
}
