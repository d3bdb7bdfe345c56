import { formatDuration } from '../../../core/errors.js';
import type { TenantStats } from '../../../tenancy/stats.js';
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

/** The Python SDK's four counters, then the pending tasks broken down, each beside its quota. */
export function renderStats(stats: TenantStats, tenant: Tenant | null, now = Date.now()): string {
  const q = tenant?.quotas;
  const limit = (value: number | null | undefined): string | undefined => (q ? showQuota(value) : undefined);
  return renderTable<StatRow>(
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
}
