// Guide: Examples → "SaaS Application with Tenant Tiers".
import { QuotaExceededError, type TenantManager, type TenantQuotas, type Turbine } from 'turbine-tasks';

export const SAAS_TIER_QUOTAS = {
  free: { maxTasksPerHour: 100, maxConcurrentTasks: 2 },
  pro: { maxTasksPerHour: 10_000, maxConcurrentTasks: 50 },
  enterprise: {}, // no limits
} as const satisfies Record<string, TenantQuotas>;

export type SaasTier = keyof typeof SAAS_TIER_QUOTAS;

export type SubmitTaskAnswer = { task_id: string; status: 'submitted' } | { error: string; status: 'quota_exceeded' };

export function createSaasApp(app: Turbine, tenantMgr: TenantManager) {
  const apiTask = app.task({ name: 'api_task', queue: 'api-tasks' }, async (data: Record<string, unknown>) => ({
    received: Object.keys(data).length,
  }));

  function createCustomer(customerId: string, name: string, tier: SaasTier) {
    return tenantMgr.createTenant({ tenantId: customerId, name, quotas: SAAS_TIER_QUOTAS[tier], metadata: { tier } });
  }

  /**
   * The Python SDK's docs checked the quota, incremented `tasks_hour` and `tasks_day` by hand, then
   * submitted. Turbine's admission does all three in one atomic step, so doing them here
   * would count each task twice and let racing submissions pass the check together.
   */
  async function submitTask(customerId: string, data: Record<string, unknown>): Promise<SubmitTaskAnswer> {
    try {
      const result = await apiTask.applyAsync({ args: [data], tenantId: customerId });
      return { task_id: result.taskId, status: 'submitted' };
    } catch (error) {
      if (error instanceof QuotaExceededError) return { error: error.message, status: 'quota_exceeded' };
      throw error;
    }
  }

  return { apiTask, createCustomer, submitTask };
}
