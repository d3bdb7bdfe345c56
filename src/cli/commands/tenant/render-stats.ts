import { formatDuration } from '../../../core/errors.js';
import type { TenantStats } from '../../../tenancy/stats.js';
import type { TenantQuotas } from '../../../tenancy/quotas.js';
import type { Tenant } from '../../../tenancy/tenant.js';
import { renderTable, type Column } from '../../output.js';
import { showQuota } from './render-tenant.js';

interface StatRow {
  metric: string;
  value: number;
  /** The quota that bounds this count, when there is one. */
  limit?: string;
  resets?: string;
}

const COLUMNS: readonly Column<StatRow>[] = [
  { header: 'Metric', value: (row) => row.metric },
  { header: 'Value', value: (row) => String(row.value), align: 'right' },
  { header: 'Limit', value: (row) => row.limit ?? '', align: 'right' },
  { header: 'Resets', value: (row) => row.resets ?? '' },
];

/** When a window's counter resets, relative and absolute; its clock starts at its first task. */
function showReset(at: Date | null, now: number): string {
  if (!at) return 'no task counted yet';
  const seconds = Math.max(0, Math.ceil((at.getTime() - now) / 1000));
  return `in ${formatDuration(seconds)} (${at.toISOString()})`;
}

/** The Python SDK's four counters, then the pending tasks broken down, each beside its quota; then the rate limit, if any. */
export function renderStats(stats: TenantStats, tenant: Tenant | null, now = Date.now()): string {
  const q = tenant?.quotas;
  const limit = (value: number | null | undefined): string | undefined => (q ? showQuota(value) : undefined);
  const table = renderTable<StatRow>(
    [
      { metric: 'tasks_hour', value: stats.tasksHour, limit: limit(q?.maxTasksPerHour), resets: showReset(stats.hourResetsAt, now) },
      { metric: 'tasks_day', value: stats.tasksDay, limit: limit(q?.maxTasksPerDay), resets: showReset(stats.dayResetsAt, now) },
      { metric: 'concurrent_tasks', value: stats.concurrentTasks, limit: limit(q?.maxConcurrentTasks) },
      { metric: 'total_tasks', value: stats.totalTasks },
      { metric: 'pending_tasks', value: stats.pendingTasks, limit: limit(q?.maxQueueLength) },
      { metric: '  held_tasks', value: stats.heldTasks },
      { metric: '  waiting_tasks', value: stats.waitingTasks },
      { metric: '  deferred_tasks', value: stats.deferredTasks },
      { metric: 'stored_results', value: stats.storedResults, limit: limit(q?.maxStoredResults) },
    ],
    COLUMNS,
  );
  const rate = q ? rateLine(q, stats, now) : null;
  return rate ? `${table}\n\n${rate}` : table;
}

/** The tenant's rate limits and whether they hold its tasks back now; null when it has none. */
function rateLine(q: TenantQuotas, stats: TenantStats, now: number): string | null {
  const limits = [
    q.maxTasksPerSecond != null ? `${q.maxTasksPerSecond} per second` : null,
    q.maxTasksPerMinute != null ? `${q.maxTasksPerMinute} per minute` : null,
  ].filter((x): x is string => x !== null);
  if (!limits.length) return null;
  const burst = q.rateBurst != null ? `burst ${q.rateBurst}` : "burst one second's worth";
  const mode = q.rateLimitMode ?? 'throttle';
  const held = stats.rateLimitedUntil
    ? `held by the rate for ${Math.max(0, stats.rateLimitedUntil.getTime() - now)} ms more`
    : 'not holding tasks back now';
  return `Rate limit: ${limits.join(', ')}, ${burst}, ${mode}; ${held}`;
}
