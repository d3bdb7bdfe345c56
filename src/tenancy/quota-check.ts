import {
  InvalidArgumentError,
  QueueFullError,
  ResultTooLargeError,
  TaskTooLargeError,
  TenantDisabledError,
  quotaExceededMessage,
} from '../core/errors.js';
import type { TenantStats } from './stats.js';
import type { Tenant } from './tenant.js';

/** The Python SDK's quota types for `checkQuota`. */
export const QUOTA_TYPES = [
  'tasks_per_hour',
  'tasks_per_day',
  'concurrent_tasks',
  'queue_length',
  'task_size_bytes',
  'result_size_bytes',
  'retry_count',
] as const;
export type QuotaType = (typeof QUOTA_TYPES)[number];

/** `[allowed, reason]`, mirroring the Python SDK's `allowed, error = check_quota(...)`. */
export type QuotaCheckResult = [allowed: true, error: null] | [allowed: false, error: string];

const OK: QuotaCheckResult = [true, null];

/**
 * Whether one more of `type` fits the tenant's quotas. Usage types compare `value` (or the
 * stored usage) with the limit strictly (one more must fit); size and retry types compare the
 * given value with the limit inclusively.
 */
export function checkQuotaAgainst(
  tenant: Tenant,
  type: QuotaType,
  value: number | undefined,
  stats: TenantStats | null,
): QuotaCheckResult {
  if (!QUOTA_TYPES.includes(type)) {
    throw new InvalidArgumentError(`Unknown quota type ${JSON.stringify(type)}: expected one of ${QUOTA_TYPES.join(', ')}`);
  }
  if (!tenant.enabled) return [false, new TenantDisabledError(tenant.tenantId).message];
  const q = tenant.quotas;
  const usage = (fromStats: (s: TenantStats) => number): number => value ?? (stats ? fromStats(stats) : 0);
  const required = (): number => {
    if (value === undefined) throw new InvalidArgumentError(`checkQuota('${type}') needs the value to check`);
    return value;
  };
  switch (type) {
    case 'tasks_per_hour': {
      const limit = q.maxTasksPerHour;
      if (limit == null || usage((s) => s.tasksHour) < limit) return OK;
      return [false, quotaExceededMessage('hour', limit, stats?.hourResetsAt ?? null)];
    }
    case 'tasks_per_day': {
      const limit = q.maxTasksPerDay;
      if (limit == null || usage((s) => s.tasksDay) < limit) return OK;
      return [false, quotaExceededMessage('day', limit, stats?.dayResetsAt ?? null)];
    }
    case 'concurrent_tasks': {
      const limit = q.maxConcurrentTasks;
      if (limit == null || usage((s) => s.concurrentTasks) < limit) return OK;
      return [false, `Concurrent task quota reached (${limit}): new tasks are held back until one finishes`];
    }
    case 'queue_length': {
      const limit = q.maxQueueLength;
      if (limit == null || usage((s) => s.pendingTasks) < limit) return OK;
      return [false, new QueueFullError(tenant.tenantId, limit).message];
    }
    case 'task_size_bytes': {
      const limit = q.maxTaskSizeBytes;
      const size = required();
      if (limit == null || size <= limit) return OK;
      return [false, new TaskTooLargeError(tenant.tenantId, size, limit).message];
    }
    case 'result_size_bytes': {
      const limit = q.maxResultSizeBytes;
      const size = required();
      if (limit == null || size <= limit) return OK;
      return [false, new ResultTooLargeError(tenant.tenantId, size, limit).message];
    }
    case 'retry_count': {
      const limit = q.maxRetryCount;
      const retries = required();
      if (limit == null || retries <= limit) return OK;
      return [false, `Retry quota exceeded (${limit}): tenant '${tenant.tenantId}' allows ${limit} retries`];
    }
  }
}
