// Guide: Tenant Configuration → "Creating Tenants with Quotas".
import type { TenantManager, TenantQuotas } from 'turbine-tasks';

/** The Python SDK's quotas, with TypeScript names (the Python SDK's snake_case names are accepted too). */
export const ACME_QUOTAS: TenantQuotas = {
  maxTasksPerHour: 1000,
  maxTasksPerDay: 10000,
  maxConcurrentTasks: 50,
  maxQueueLength: 500,
  maxTaskSizeBytes: 1_048_576, // 1 MB
  maxResultSizeBytes: 5_242_880, // 5 MB
  allowedQueues: ['default', 'emails', 'processing'],
  maxRetryCount: 5,
};

export function createAcmeCorp(manager: TenantManager) {
  return manager.createTenant({
    tenantId: 'acme-corp',
    name: 'ACME Corporation',
    quotas: ACME_QUOTAS,
    metadata: { plan: 'enterprise', contact: 'admin@acme-corp.com' },
  });
}
