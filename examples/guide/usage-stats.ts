// Guide: Usage Tracking.
import { statsToJson, type TenantManager } from 'turbine-tasks';

/** The Python SDK's four counters, and whether one more task fits this hour. */
export async function usageReport(manager: TenantManager, tenantId: string) {
  const { tasks_hour, tasks_day, concurrent_tasks, total_tasks } = statsToJson(await manager.getTenantStats(tenantId));
  // Advisory: Turbine counts and checks every submission itself, atomically.
  const [allowed, error] = await manager.checkQuota(tenantId, 'tasks_per_hour');
  return { stats: { tasks_hour, tasks_day, concurrent_tasks, total_tasks }, allowed, error };
}
