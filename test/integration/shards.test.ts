import type { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TenantHasQueuedTasksError } from '../../src/core/errors.js';
import { ShardRouter, hashShard, shardPrefixes } from '../../src/store/shards.js';
import { Turbine } from '../../src/tasks/app.js';
import { TenantManager } from '../../src/tenancy/manager.js';
import { deletePrefix, rawClient, redisUrl, uniquePrefix } from '../helpers/context.js';

/** The tenant → shard mapping on one real Redis (shards need no cluster: each is a prefix). */

const raw: Redis = rawClient();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => raw.quit());

function deployment(shards: number): { prefix: string; manager: TenantManager; app: Turbine } {
  const prefix = uniquePrefix();
  const manager = new TenantManager({ backendUrl: redisUrl(), prefix, shards, actor: 'shards-test' });
  const app = new Turbine({ backendUrl: redisUrl(), prefix, shards });
  cleanups.push(
    () => manager.close(),
    () => app.close(),
    async () => {
      for (const p of shardPrefixes(prefix, shards)) await deletePrefix(raw, p);
    },
  );
  return { prefix, manager, app };
}

describe('the tenant → shard mapping', () => {
  it('with one shard stores no mapping and keeps every key under the prefix', async () => {
    const { prefix, manager } = deployment(1);
    await manager.createTenant({ tenantId: 'acme', name: 'ACME' });
    expect(await raw.exists(`${prefix}:tenant:acme`)).toBe(1);
    expect(await raw.exists(`${prefix}:tenant-shards`)).toBe(0);
    expect(await manager.shardOf('acme')).toBe(0);
  });

  it('places a new tenant by the hash of its id, stores it, and the stored shard wins afterwards', async () => {
    const { prefix, manager } = deployment(4);
    const ids = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];
    for (const tenantId of ids) await manager.createTenant({ tenantId, name: tenantId });
    const mapping = await raw.hgetall(`{${prefix}-0}:tenant-shards`);
    expect(mapping).toEqual(Object.fromEntries(ids.map((id) => [id, String(hashShard(id, 4))])));
    for (const id of ids) expect(await raw.exists(`{${prefix}-${hashShard(id, 4)}}:tenant:${id}`)).toBe(1);

    const router = new ShardRouter(prefix, 4);
    const elsewhere = (hashShard('acme', 4) + 1) % 4;
    await router.set(raw, 'acme', elsewhere);
    expect(await new ShardRouter(prefix, 4).shardOf(raw, 'acme')).toBe(elsewhere);
    // A tenant never created is looked for where it would be created.
    expect(await router.shardOf(raw, 'nobody')).toBe(hashShard('nobody', 4));
  });

  it('refuses a stored shard beyond the shards configured, saying what to do', async () => {
    const { prefix } = deployment(3);
    await new ShardRouter(prefix, 3).set(raw, 'acme', 2);
    await expect(new ShardRouter(prefix, 2).shardOf(raw, 'acme')).rejects.toThrow(
      /Tenant 'acme' lives on shard 2, but only 2 shards are configured: configure 3 or more .* or move the tenant first/,
    );
  });

  it('forgets a deleted tenant’s shard', async () => {
    const { prefix, manager } = deployment(2);
    await manager.createTenant({ tenantId: 'acme', name: 'ACME' });
    expect(await manager.deleteTenant('acme')).toBe(true);
    expect(await raw.hexists(`{${prefix}-0}:tenant-shards`, 'acme')).toBe(0);
  });
});

describe('moving a tenant', () => {
  it('refuses while a task waits, enabled as before; moves once drained, and producers follow', async () => {
    const { prefix, manager, app } = deployment(2);
    const echo = app.task({ name: 'echo' }, async (text: string) => text);
    const tenantId = 'acme';
    await manager.createTenant({ tenantId, name: 'ACME', quotas: { maxTasksPerDay: 50 } });
    const from = await manager.shardOf(tenantId);
    const to = 1 - from;
    await echo.applyAsync({ args: ['waits'], tenantId });

    await expect(manager.moveTenant(tenantId, to)).rejects.toThrow(TenantHasQueuedTasksError);
    expect((await manager.requireTenant(tenantId)).enabled).toBe(true);
    expect(await manager.shardOf(tenantId)).toBe(from);

    await manager.drainTenant(tenantId);
    expect(await manager.moveTenant(tenantId, to)).toEqual({ tenantId, from, to, moved: true });
    expect(await raw.exists(`{${prefix}-${from}}:tenant:${tenantId}`)).toBe(0);
    expect(await manager.getTenantStats(tenantId)).toMatchObject({ tasksDay: 1, totalTasks: 1 });
    expect((await manager.requireTenant(tenantId)).quotas.maxTasksPerDay).toBe(50);
    expect(await raw.sismember(`{${prefix}-${to}}:tenants`, tenantId)).toBe(1);
    // Its metered usage went too, with its hour's index of tenants.
    const usage = await manager.getUsageReport({ tenantId });
    expect(usage.map((row) => row.accepted)).toEqual([1]);
    expect(await raw.ttl(`{${prefix}-${to}}:tenant:${tenantId}:usage-hour:${usage[0]!.periodStart.getTime() / 1000}`)).toBeGreaterThan(0);
    expect(await raw.sismember(`{${prefix}-${to}}:usage-hour:${usage[0]!.periodStart.getTime() / 1000}`, tenantId)).toBe(1);

    // The app remembered the old shard: admission there finds no tenant, and it routes again.
    const moved = await echo.applyAsync({ args: ['after'], tenantId });
    expect(moved.placement).toBe('queued');
    expect(await raw.exists(`{${prefix}-${to}}:q:default:${tenantId}@${moved.taskId}`)).toBe(1);
    expect(await manager.getTenantStats(tenantId)).toMatchObject({ pendingTasks: 1, totalTasks: 2 });
  });
});
