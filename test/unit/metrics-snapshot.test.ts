import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { InternalError } from '../../src/core/errors.js';
import { createRedisGauges } from '../../src/metrics/definitions.js';
import { OTHER_LABEL, createMetricLabels } from '../../src/metrics/labels.js';
import { applySnapshot, clearRedisGauges, groupByLabel } from '../../src/metrics/redis-gauges.js';
import { assembleSnapshot, decodeQueueReply, decodeTenantSlice, type MetricsSnapshot, type TenantFigures } from '../../src/metrics/snapshot.js';

/** A reply as metricsSnapshot-1.lua sends it (numbers as integers, quota values as strings). */
function tenantRow(id: string, o: Partial<{ enabled: number; hour: number; running: number; held: number; waiting: number; deferred: number; oldest: number; quotas: (string | number)[]; dlq: (string | number)[]; reason: string }> = {}): unknown[] {
  return [id, o.enabled ?? 1, o.hour ?? 0, o.hour ?? 0, o.running ?? 0, o.hour ?? 0, o.held ?? 0, o.waiting ?? 0, o.running ?? 0, o.deferred ?? 0, o.oldest ?? 0, o.quotas ?? [], o.dlq ?? [], 0, o.reason ?? (o.held ? 'window' : ''), o.held ? ['emails', o.held] : []];
}

/** The snapshot of one queues reply and one slice of tenants. */
function parseSnapshot([, queues, tenants]: unknown[]): MetricsSnapshot {
  return assembleSnapshot(decodeQueueReply([1, queues])!, decodeTenantSlice([1, '0', tenants, []])!.tenants);
}

const NOW = 1_700_000_000_000;

const reply = [
  1,
  [['emails', 3, 0, 1, 2, 4, 0, 100, 5]],
  [
    tenantRow('acme', { hour: 90, running: 2, held: 6, waiting: 1, deferred: 2, oldest: NOW - 120_000, reason: 'cap', quotas: ['max_tasks_per_hour', '100', 'max_concurrent_tasks', '2'], dlq: ['emails', 3] }),
    tenantRow('quiet', { enabled: 0, quotas: ['max_tasks_per_day', '10'], dlq: ['emails', 0] }),
  ],
];

async function series(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric(name)!;
  const out: Record<string, number> = {};
  for (const v of (await metric.get()).values) {
    out[Object.entries(v.labels).map(([k, val]) => `${k}=${val}`).sort().join(',')] = v.value;
  }
  return out;
}

describe('the snapshot replies', () => {
  it('reads every figure, a queue\'s held tasks summed from its tenants\' rows', () => {
    const snapshot = parseSnapshot(reply);
    expect(snapshot.queues).toEqual([
      { queue: 'emails', states: { waiting: 3, paused: 0, prioritized: 1, active: 2, delayed: 4, held: 6, waiting_children: 0, completed: 100, failed: 5 } },
    ]);
    const acme = snapshot.tenants[0]!;
    expect(acme).toMatchObject({ tenantId: 'acme', enabled: true, held: 6, waiting: 1, running: 2, deferred: 2, oldestHeldAt: NOW - 120_000 });
    expect(acme.usage).toEqual({ tasks_hour: 90, tasks_day: 90, concurrent: 2, total: 90 });
    expect([...acme.quotas]).toEqual([['max_tasks_per_hour', 100], ['max_concurrent_tasks', 2]]);
    expect([...acme.dlq]).toEqual([['emails', 3]]);
    expect(snapshot.tenants[1]).toMatchObject({ tenantId: 'quiet', enabled: false, oldestHeldAt: null });
  });

  it('is null when the caller is not the elected replica', () => {
    expect(decodeQueueReply([0])).toBeNull();
    expect(decodeTenantSlice([0])).toBeNull();
  });

  it('refuses a reply of another shape as an internal error', () => {
    expect(() => decodeTenantSlice('OK')).toThrow(InternalError);
    expect(() => decodeQueueReply([1, [['emails', 'many']]])).toThrow(InternalError);
  });
});

describe('applySnapshot', () => {
  it('sets every per-tenant gauge, the quota limits that are set and the queue states', async () => {
    const registry = new Registry();
    const gauges = createRedisGauges(registry);
    applySnapshot(gauges, createMetricLabels(), parseSnapshot(reply), NOW);
    expect(await series(registry, 'turbine_tasks_running')).toEqual({ 'tenant=acme': 2, 'tenant=quiet': 0 });
    // By why they wait; a tenant with none held keeps its series at 0, without a reason.
    expect(await series(registry, 'turbine_tasks_held')).toEqual({ 'reason=cap,tenant=acme': 6, 'reason=,tenant=quiet': 0 });
    expect(await series(registry, 'turbine_tasks_pending')).toEqual({ 'tenant=acme': 9, 'tenant=quiet': 0 });
    expect(await series(registry, 'turbine_oldest_held_task_age_seconds')).toEqual({ 'tenant=acme': 120, 'tenant=quiet': 0 });
    expect(await series(registry, 'turbine_tenant_quota_limit')).toEqual({
      'quota=max_tasks_per_hour,tenant=acme': 100,
      'quota=max_concurrent_tasks,tenant=acme': 2,
      'quota=max_tasks_per_day,tenant=quiet': 10,
    });
    expect((await series(registry, 'turbine_tenant_usage'))['metric=tasks_hour,tenant=acme']).toBe(90);
    expect(await series(registry, 'turbine_tenant_enabled')).toEqual({ 'tenant=acme': 1, 'tenant=quiet': 0 });
    expect(await series(registry, 'turbine_dlq_tasks')).toEqual({ 'queue=emails,tenant=acme': 3, 'queue=emails,tenant=quiet': 0 });
    expect(await series(registry, 'turbine_tenants')).toEqual({ 'state=enabled': 1, 'state=disabled': 1 });
    const queue = await series(registry, 'turbine_queue_tasks');
    expect(queue['queue=emails,state=held']).toBe(6);
    expect(queue['queue=emails,state=delayed']).toBe(4);
  });

  it('replaces what the gauges showed: a deleted tenant disappears', async () => {
    const registry = new Registry();
    const gauges = createRedisGauges(registry);
    const labels = createMetricLabels();
    applySnapshot(gauges, labels, parseSnapshot(reply), NOW);
    applySnapshot(gauges, labels, parseSnapshot([1, [], [tenantRow('acme')]]), NOW);
    expect(await series(registry, 'turbine_tasks_running')).toEqual({ 'tenant=acme': 0 });
  });

  it('adds tenants beyond maxTenants into __other__, without quota limits or enabled state', async () => {
    const registry = new Registry();
    const gauges = createRedisGauges(registry);
    const rows = [
      tenantRow('busy', { running: 5, held: 10, reason: 'rate', quotas: ['max_concurrent_tasks', '5'] }),
      tenantRow('idle-1', { held: 1, oldest: NOW - 60_000, quotas: ['max_concurrent_tasks', '1'], dlq: ['emails', 2] }),
      tenantRow('idle-2', { running: 1, held: 2, oldest: NOW - 300_000, dlq: ['emails', 1, 'reports', 4] }),
    ];
    applySnapshot(gauges, createMetricLabels({ maxTenants: 1 }), parseSnapshot([1, [], rows]), NOW);
    expect(await series(registry, 'turbine_tasks_running')).toEqual({ 'tenant=busy': 5, [`tenant=${OTHER_LABEL}`]: 1 });
    expect(await series(registry, 'turbine_tasks_held')).toEqual({ 'reason=rate,tenant=busy': 10, [`reason=window,tenant=${OTHER_LABEL}`]: 3 });
    expect((await series(registry, 'turbine_oldest_held_task_age_seconds'))[`tenant=${OTHER_LABEL}`]).toBe(300);
    expect(await series(registry, 'turbine_tenant_quota_limit')).toEqual({ 'quota=max_concurrent_tasks,tenant=busy': 5 });
    expect(await series(registry, 'turbine_tenant_enabled')).toEqual({ 'tenant=busy': 1 });
    expect(await series(registry, 'turbine_dlq_tasks')).toEqual({
      [`queue=emails,tenant=${OTHER_LABEL}`]: 3,
      [`queue=reports,tenant=${OTHER_LABEL}`]: 4,
    });
  });

  it('clearRedisGauges drops every series (not the elected replica, or Redis away)', async () => {
    const registry = new Registry();
    const gauges = createRedisGauges(registry);
    applySnapshot(gauges, createMetricLabels(), parseSnapshot(reply), NOW);
    clearRedisGauges(gauges);
    expect(await registry.metrics()).not.toMatch(/^turbine_\w+\{/m);
  });
});

describe('groupByLabel', () => {
  const figures = (tenantId: string, running: number): TenantFigures => ({
    tenantId,
    enabled: true,
    usage: { tasks_hour: 0, tasks_day: 0, concurrent: 0, total: 0 },
    held: 0,
    waiting: 0,
    running,
    deferred: 0,
    oldestHeldAt: null,
    quotas: new Map(),
    dlq: new Map(),
    storedResults: 0,
    heldByReason: new Map(),
    heldByQueue: new Map(),
  });

  it('labels the busiest tenants first when there are more tenants than labels', () => {
    const grouped = groupByLabel([figures('a-quiet', 0), figures('b-busy', 9), figures('c-mid', 3)], createMetricLabels({ maxTenants: 2 }));
    expect(grouped.map((g) => [g.label, g.figures.running, g.own])).toEqual([
      ['b-busy', 9, true],
      ['c-mid', 3, true],
      [OTHER_LABEL, 0, false],
    ]);
  });
});
