import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  InvalidQuotaError,
  InvalidTenantIdError,
  TenantExistsError,
  TenantNotFoundError,
} from '../../src/core/errors.js';
import { TenantManager } from '../../src/tenancy/manager.js';
import { deletePrefix, rawClient, redisUrl, uniquePrefix } from '../helpers/context.js';

const raw: Redis = rawClient();
let prefix: string;
let manager: TenantManager;

beforeEach(() => {
  prefix = uniquePrefix();
  manager = new TenantManager({ backendUrl: redisUrl(), prefix, actor: 'test-suite' });
});

afterEach(async () => {
  await manager.close();
  await deletePrefix(raw, prefix);
});

afterAll(() => raw.quit());

describe('TenantManager: create, read, list', () => {
  it('creates a tenant with quotas and metadata and reads it back', async () => {
    const created = await manager.createTenant({
      tenantId: 'acme-corp',
      name: 'ACME Corporation',
      quotas: {
        maxTasksPerHour: 1000,
        maxTasksPerDay: 10000,
        maxConcurrentTasks: 50,
        maxQueueLength: 500,
        maxTaskSizeBytes: 1048576,
        maxResultSizeBytes: 5242880,
        allowedQueues: ['default', 'emails', 'processing'],
        maxRetryCount: 5,
      },
      metadata: { plan: 'enterprise', contact: 'admin@acme-corp.com' },
    });
    expect(created.enabled).toBe(true);
    const read = await manager.getTenant('acme-corp');
    expect(read).toMatchObject({
      tenantId: 'acme-corp',
      name: 'ACME Corporation',
      enabled: true,
      metadata: { plan: 'enterprise', contact: 'admin@acme-corp.com' },
      quotas: { maxTasksPerHour: 1000, allowedQueues: ['default', 'emails', 'processing'], maxRetryCount: 5 },
    });
    expect(read?.createdAt.getTime()).toBe(created.createdAt.getTime());
  });

  it('stores the configuration under the Python SDK key, one field per set quota', async () => {
    await manager.createTenant({ tenantId: 'acme-corp', name: 'ACME', quotas: { maxTasksPerHour: 1000 } });
    const hash = await raw.hgetall(`${prefix}:tenant:acme-corp`);
    expect(hash).toMatchObject({ tenant_id: 'acme-corp', name: 'ACME', enabled: 'true', max_tasks_per_hour: '1000' });
    expect(hash).not.toHaveProperty('max_tasks_per_day');
    expect(await raw.sismember(`${prefix}:tenants`, 'acme-corp')).toBe(1);
  });

  it('returns null for an absent tenant and lists tenants sorted by id', async () => {
    expect(await manager.getTenant('nobody')).toBeNull();
    await manager.createTenant({ tenantId: 'zeta', name: 'Z' });
    await manager.createTenant({ tenantId: 'alpha', name: 'A' });
    expect((await manager.listTenants()).map((t) => t.tenantId)).toEqual(['alpha', 'zeta']);
  });

  it('refuses a second tenant with the same id', async () => {
    await manager.createTenant({ tenantId: 'acme', name: 'A' });
    await expect(manager.createTenant({ tenantId: 'acme', name: 'B' })).rejects.toThrow(TenantExistsError);
    expect((await manager.getTenant('acme'))?.name).toBe('A');
  });
});

describe('TenantManager: validation writes nothing', () => {
  it.each(['', 'acme corp', 'a:b', 'a{b}', 'a*', '-leading', 'x'.repeat(65), 'ümlaut'])(
    'refuses tenant id %j',
    async (tenantId) => {
      await expect(manager.createTenant({ tenantId, name: 'X' })).rejects.toThrow(InvalidTenantIdError);
      expect(await raw.keys(`${prefix}:*`)).toEqual([]);
    },
  );

  it.each([
    [{ maxTasksPerHour: -1 }, 'max_tasks_per_hour'],
    [{ maxConcurrentTasks: 1.5 }, 'max_concurrent_tasks'],
    [{ maxQueueLength: '10' }, 'max_queue_length'],
    [{ allowedQueues: 'emails' }, 'allowed_queues'],
    [{ allowedQueues: ['bad queue'] }, 'allowed_queues'],
    [{ maxTasksPerWeek: 5 }, 'maxTasksPerWeek'],
    [{ maxTasksPerMinute: 0 }, 'max_tasks_per_minute'],
  ])('refuses quotas %j naming %s', async (quotas, named) => {
    const attempt = manager.createTenant({ tenantId: 'acme', name: 'X', quotas: quotas as never });
    await expect(attempt).rejects.toThrow(InvalidQuotaError);
    await expect(attempt).rejects.toThrow(named);
    expect(await raw.keys(`${prefix}:*`)).toEqual([]);
  });

  it('accepts the Python SDK snake_case quota names too', async () => {
    const tenant = await manager.createTenant({
      tenantId: 'acme',
      name: 'X',
      quotas: { max_tasks_per_hour: 7 } as never,
    });
    expect(tenant.quotas.maxTasksPerHour).toBe(7);
  });

  it('refuses an empty name and non-JSON metadata', async () => {
    await expect(manager.createTenant({ tenantId: 'acme', name: ' ' })).rejects.toThrow(InvalidArgumentError);
    await expect(
      manager.createTenant({ tenantId: 'acme', name: 'A', metadata: { n: 1n } as never }),
    ).rejects.toThrow(InvalidArgumentError);
    expect(await raw.keys(`${prefix}:*`)).toEqual([]);
  });
});

describe('TenantManager: update and delete', () => {
  it('merges quota changes and removes a limit with null', async () => {
    await manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxTasksPerHour: 1000, maxConcurrentTasks: 5 } });
    const updated = await manager.updateTenant('acme', { quotas: { maxTasksPerHour: 2000, maxConcurrentTasks: null } });
    expect(updated.quotas).toEqual({ maxTasksPerHour: 2000 });
    expect(await raw.hexists(`${prefix}:tenant:acme`, 'max_concurrent_tasks')).toBe(0);
  });

  it('updates name and enabled and moves updatedAt', async () => {
    const created = await manager.createTenant({ tenantId: 'acme', name: 'ACME Corporation' });
    const updated = await manager.updateTenant('acme', { name: 'ACME Inc.', enabled: false });
    expect(updated).toMatchObject({ name: 'ACME Inc.', enabled: false });
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
  });

  it('puts a tenant in the shared pool unless told, moves it, and refuses a bad pool name', async () => {
    expect((await manager.createTenant({ tenantId: 'acme', name: 'A' })).pool).toBe('shared');
    expect((await manager.createTenant({ tenantId: 'gold', name: 'G', pool: 'premium' })).pool).toBe('premium');
    expect((await manager.updateTenant('acme', { pool: 'premium' })).pool).toBe('premium');
    expect(await raw.smembers(`${prefix}:pools`)).toEqual(['premium']);
    await expect(manager.updateTenant('acme', { pool: 'gold@eu' })).rejects.toThrow(/^Invalid pool "gold@eu"/);
    await expect(manager.createTenant({ tenantId: 'x', name: 'X', pool: '' })).rejects.toThrow(InvalidArgumentError);
    expect((await manager.getTenant('acme'))?.pool).toBe('premium');
    expect(await manager.getTenant('x')).toBeNull();
  });

  it('raises TenantNotFoundError with the Python SDK message', async () => {
    await expect(manager.updateTenant('acme-corp', { name: 'X' })).rejects.toThrow("Tenant 'acme-corp' not found");
    await expect(manager.getTenantStats('acme-corp')).rejects.toThrow(TenantNotFoundError);
  });

  it('deletes configuration and counters but keeps the audit trail', async () => {
    await manager.createTenant({ tenantId: 'acme', name: 'A' });
    await manager.incrementUsage('acme', 'total', 3);
    expect(await manager.deleteTenant('acme')).toBe(true);
    expect(await manager.deleteTenant('acme')).toBe(false);
    expect(await raw.exists(`${prefix}:tenant:acme`, `${prefix}:tenant:acme:usage:total`)).toBe(0);
    expect(await raw.sismember(`${prefix}:tenants`, 'acme')).toBe(0);
    const audit = await manager.getAuditLog('acme');
    expect(audit.map((e) => e.action)).toEqual(['delete', 'create']);
  });
});

describe('TenantManager: usage', () => {
  beforeEach(() => manager.createTenant({ tenantId: 'acme', name: 'A' }).then(() => undefined));

  it('keeps exact counts under 20 parallel increments', async () => {
    await Promise.all(Array.from({ length: 20 }, () => manager.incrementUsage('acme', 'tasks_hour', 5, 3600)));
    expect(await manager.getUsage('acme', 'tasks_hour')).toBe(100);
    const ttl = await raw.ttl(`${prefix}:tenant:acme:usage:tasks_hour`);
    expect(ttl).toBeGreaterThan(3500);
  });

  it('never decrements below zero', async () => {
    await manager.incrementUsage('acme', 'tasks_hour', 2, 3600);
    expect(await manager.decrementUsage('acme', 'tasks_hour', 5)).toBe(0);
  });

  it('reports the Python SDK stats keys', async () => {
    await manager.incrementUsage('acme', 'tasks_hour', 523, 3600);
    await manager.incrementUsage('acme', 'tasks_day', 8734, 86400);
    await manager.incrementUsage('acme', 'total', 125403);
    const stats = await manager.getTenantStats('acme');
    // concurrent_tasks counts running tasks (none here), whatever the mirror key says.
    await manager.incrementUsage('acme', 'concurrent', 12);
    expect(stats).toMatchObject({ tasksHour: 523, tasksDay: 8734, concurrentTasks: 0, totalTasks: 125403 });
    expect(await manager.getUsage('acme', 'concurrent')).toBe(0);
    expect(stats.hourResetsAt).toBeInstanceOf(Date);
  });

  it('refuses unknown metrics and bad amounts', async () => {
    await expect(manager.incrementUsage('acme', 'tasks_minute' as never)).rejects.toThrow(InvalidArgumentError);
    await expect(manager.incrementUsage('acme', 'total', 1.5)).rejects.toThrow(InvalidArgumentError);
    await expect(manager.incrementUsage('nobody', 'total')).rejects.toThrow(TenantNotFoundError);
  });
});

describe('TenantManager: quota checks (advisory, as in the Python SDK)', () => {
  it('allows until the hourly limit and then says why', async () => {
    await manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxTasksPerHour: 1000 } });
    expect(await manager.checkQuota('acme', 'tasks_per_hour')).toEqual([true, null]);
    await manager.incrementUsage('acme', 'tasks_hour', 1000, 3600);
    const [allowed, error] = await manager.checkQuota('acme', 'tasks_per_hour');
    expect(allowed).toBe(false);
    expect(error).toMatch(/^Hourly task quota exceeded \(1000\); resets in \d+[hms]/);
  });

  it('checks sizes inclusively and reports unknown or disabled tenants', async () => {
    await manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxTaskSizeBytes: 100 } });
    expect(await manager.checkQuota('acme', 'task_size_bytes', 100)).toEqual([true, null]);
    expect((await manager.checkQuota('acme', 'task_size_bytes', 101))[0]).toBe(false);
    expect(await manager.checkQuota('nobody', 'tasks_per_hour')).toEqual([
      false,
      "Tenant 'nobody' not found; see 'turbine tenant list', or create it with 'turbine tenant create nobody <name>'",
    ]);
    await manager.updateTenant('acme', { enabled: false });
    expect((await manager.checkQuota('acme', 'tasks_per_hour'))[1]).toMatch(/is disabled/);
  });
});

describe('TenantManager: audit and change notices', () => {
  it('records who changed what, from and to', async () => {
    await manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxTasksPerHour: 10 } });
    await manager.updateTenant('acme', { quotas: { maxTasksPerHour: 20 } });
    await manager.updateTenant('acme', { enabled: false });
    const [disable, update, create] = await manager.getAuditLog('acme');
    expect(create).toMatchObject({ action: 'create', actor: 'test-suite' });
    expect(update).toMatchObject({ action: 'update', changes: { max_tasks_per_hour: { from: '10', to: '20' } } });
    expect(disable).toMatchObject({ action: 'disable', changes: { enabled: { from: 'true', to: 'false' } } });
  });

  it('announces changes to other processes', async () => {
    const seen: string[] = [];
    const other = new TenantManager({ backendUrl: redisUrl(), prefix });
    const stop = await other.onChange((id) => seen.push(id));
    const notified = new Promise<void>((resolve) => {
      const timer = setInterval(() => seen.length >= 2 && (clearInterval(timer), resolve()), 5);
    });
    await manager.createTenant({ tenantId: 'acme', name: 'A' });
    await manager.updateTenant('acme', { name: 'B' });
    await notified;
    expect(seen).toEqual(['acme', 'acme']);
    await stop();
    await other.close();
  });
});
