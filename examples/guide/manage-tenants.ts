// Guide: Tenant Management (updating, disabling, deleting) and Troubleshooting.
import type { TenantManager } from 'turbine-tasks';

/** "Update quotas": the quotas given change, the others keep their value. */
export function raiseQuotas(manager: TenantManager, tenantId: string) {
  return manager.updateTenant(tenantId, { quotas: { maxTasksPerHour: 2000, maxConcurrentTasks: 100 } });
}

/** `turbine tenant update <id> --enabled false|true`: a disabled tenant's submissions are refused. */
export function setEnabled(manager: TenantManager, tenantId: string, enabled: boolean) {
  return manager.updateTenant(tenantId, { enabled });
}

/** Removes configuration and usage counters; task results stay readable (for audits). */
export function deleteTenant(manager: TenantManager, tenantId: string) {
  return manager.deleteTenant(tenantId);
}
