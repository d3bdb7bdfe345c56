// Guide: Best Practices → "3. Monitoring".
import type { TenantManager } from 'turbine-tasks';

/** The alert to send when a tenant has used more than `thresholdPct` of its hourly quota, else null. */
export async function hourlyQuotaAlert(manager: TenantManager, tenantId: string, thresholdPct = 80): Promise<string | null> {
  const stats = await manager.getTenantStats(tenantId);
  const { quotas } = await manager.requireTenant(tenantId);
  if (!quotas.maxTasksPerHour) return null;
  const usagePct = (stats.tasksHour / quotas.maxTasksPerHour) * 100;
  return usagePct > thresholdPct ? `Tenant ${tenantId} at ${Math.round(usagePct)}% hourly quota` : null;
}
