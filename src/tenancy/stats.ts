/** A tenant's usage: the Python SDK's four counters and what Turbine's dispatcher adds (`decodeTenantStats` reads it). */
export interface TenantStats {
  /** Tasks accepted in the current hourly window. */
  tasksHour: number;
  /** Tasks accepted in the current daily window. */
  tasksDay: number;
  /** Tasks running now (`usage:concurrent`). */
  concurrentTasks: number;
  /** Tasks accepted since the tenant was created. */
  totalTasks: number;
  /** Tasks submitted and not yet started: held + waiting + deferred. */
  pendingTasks: number;
  /** Tasks held back by the tenant's cap, rate limit or dispatch window (or because it is disabled). */
  heldTasks: number;
  /** Tasks in a queue's wait list, about to run. */
  waitingTasks: number;
  /** Tasks delayed on submission or waiting to be retried. */
  deferredTasks: number;
  /** Finished tasks whose result or failure is stored (what `max_stored_results` bounds). */
  storedResults: number;
  /** When the hourly and daily counters reset; null while no task was counted in the window. */
  hourResetsAt: Date | null;
  dayResetsAt: Date | null;
  /**
   * When the tenant's rate limits next allow a start beyond its waiting tasks; null when they
   * allow one now (or it has no rate limit, or refuses over it: `rate_limit_mode: reject`).
   * While set, its held tasks are held by the rate.
   */
  rateLimitedUntil: Date | null;
}

export interface TenantStatsJson {
  tasks_hour: number;
  tasks_day: number;
  concurrent_tasks: number;
  total_tasks: number;
  pending_tasks: number;
  held_tasks: number;
  waiting_tasks: number;
  deferred_tasks: number;
  stored_results: number;
  hour_resets_at: string | null;
  day_resets_at: string | null;
  rate_limited_until: string | null;
}

export function statsToJson(stats: TenantStats): TenantStatsJson {
  return {
    tasks_hour: stats.tasksHour,
    tasks_day: stats.tasksDay,
    concurrent_tasks: stats.concurrentTasks,
    total_tasks: stats.totalTasks,
    pending_tasks: stats.pendingTasks,
    held_tasks: stats.heldTasks,
    waiting_tasks: stats.waitingTasks,
    deferred_tasks: stats.deferredTasks,
    stored_results: stats.storedResults,
    hour_resets_at: stats.hourResetsAt?.toISOString() ?? null,
    day_resets_at: stats.dayResetsAt?.toISOString() ?? null,
    rate_limited_until: stats.rateLimitedUntil?.toISOString() ?? null,
  };
}
