import { USAGE_METRICS } from '../core/keys.js';
import type { RedisGaugeSet } from './definitions.js';
import { OTHER_LABEL, type MetricLabels } from './labels.js';
import { QUEUE_STATES, type MetricsSnapshot, type TenantFigures } from './snapshot.js';

/** A tenant label's figures: one tenant's, or the sum of those sharing `__other__`. */
export interface TenantSeries {
  label: string;
  figures: TenantFigures;
  /** False for `__other__`: its tenants' limits and states do not add up to anything. */
  own: boolean;
}

/**
 * Groups tenants by their bounded label. The busiest tenants are labelled first, so that when
 * there are more tenants than labels, those left in `__other__` are the quiet ones (labels are
 * kept for the life of the process, so this ordering matters at the first refreshes).
 */
export function groupByLabel(tenants: readonly TenantFigures[], labels: MetricLabels): TenantSeries[] {
  const busiest = [...tenants].sort((a, b) => activity(b) - activity(a) || a.tenantId.localeCompare(b.tenantId));
  const series = new Map<string, TenantSeries>();
  for (const figures of busiest) {
    const label = labels.tenant.label(figures.tenantId);
    const seen = series.get(label);
    if (!seen) series.set(label, { label, figures: label === OTHER_LABEL ? merge(empty(), figures) : figures, own: label !== OTHER_LABEL });
    else merge(seen.figures, figures);
  }
  return [...series.values()];
}

/** Writes a snapshot into the gauges, replacing what they showed (tenants deleted since vanish). */
export function applySnapshot(gauges: RedisGaugeSet, labels: MetricLabels, snapshot: MetricsSnapshot, now = Date.now()): void {
  clearRedisGauges(gauges);
  for (const { queue, states } of snapshot.queues) {
    const label = labels.queue.label(queue);
    for (const state of QUEUE_STATES) gauges.queueTasks.inc({ queue: label, state }, states[state]);
  }
  if (snapshot.memory) {
    gauges.redisMemory.set(snapshot.memory.usedBytes);
    gauges.redisMemoryLimit.set(snapshot.memory.limitBytes);
  }
  const disabled = snapshot.tenants.filter((t) => !t.enabled).length;
  gauges.tenants.set({ state: 'enabled' }, snapshot.tenants.length - disabled);
  gauges.tenants.set({ state: 'disabled' }, disabled);
  for (const { label, figures, own } of groupByLabel(snapshot.tenants, labels)) {
    const tenant = { tenant: label };
    gauges.running.set(tenant, figures.running);
    // A tenant with nothing held keeps its series at 0, without a reason (an empty label).
    if (figures.heldByReason.size === 0) gauges.held.set({ tenant: label, reason: '' }, 0);
    for (const [reason, count] of figures.heldByReason) gauges.held.set({ tenant: label, reason }, count);
    gauges.pending.set(tenant, figures.held + figures.waiting + figures.deferred);
    gauges.storedResults.set(tenant, figures.storedResults);
    gauges.oldestHeldAge.set(tenant, figures.oldestHeldAt === null ? 0 : Math.max(0, (now - figures.oldestHeldAt) / 1000));
    for (const metric of USAGE_METRICS) gauges.usage.set({ tenant: label, metric }, figures.usage[metric]);
    for (const [queue, count] of figures.dlq) gauges.dlq.inc({ tenant: label, queue: labels.queue.label(queue) }, count);
    if (!own) continue;
    gauges.enabled.set(tenant, figures.enabled ? 1 : 0);
    for (const [quota, limit] of figures.quotas) gauges.quotaLimit.set({ tenant: label, quota }, limit);
  }
}

/** Drops every Redis-derived series: this replica is not the elected one, or Redis is away. */
export function clearRedisGauges(gauges: RedisGaugeSet): void {
  for (const gauge of Object.values(gauges)) gauge.reset();
}

function activity(t: TenantFigures): number {
  return t.running + t.held + t.waiting + t.deferred + t.usage.tasks_hour;
}

function empty(): TenantFigures {
  return {
    tenantId: OTHER_LABEL,
    enabled: true,
    usage: { tasks_hour: 0, tasks_day: 0, concurrent: 0, total: 0 },
    held: 0,
    waiting: 0,
    running: 0,
    deferred: 0,
    oldestHeldAt: null,
    quotas: new Map(),
    dlq: new Map(),
    storedResults: 0,
    heldByReason: new Map(),
    heldByQueue: new Map(),
  };
}

/** Adds `from` into `into` (counts add up, the oldest held task is the older one). */
function merge(into: TenantFigures, from: TenantFigures): TenantFigures {
  for (const metric of USAGE_METRICS) into.usage[metric] += from.usage[metric];
  into.held += from.held;
  into.waiting += from.waiting;
  into.running += from.running;
  into.deferred += from.deferred;
  into.storedResults += from.storedResults;
  if (from.oldestHeldAt !== null && (into.oldestHeldAt === null || from.oldestHeldAt < into.oldestHeldAt)) {
    into.oldestHeldAt = from.oldestHeldAt;
  }
  for (const [queue, count] of from.dlq) into.dlq.set(queue, (into.dlq.get(queue) ?? 0) + count);
  for (const [reason, count] of from.heldByReason) into.heldByReason.set(reason, (into.heldByReason.get(reason) ?? 0) + count);
  for (const [queue, count] of from.heldByQueue) into.heldByQueue.set(queue, (into.heldByQueue.get(queue) ?? 0) + count);
  return into;
}
