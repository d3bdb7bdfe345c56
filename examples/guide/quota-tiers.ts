// Guide: Best Practices → "2. Quota Planning".
import type { TenantQuotas } from 'turbine-tasks';

export const FREE_QUOTAS: TenantQuotas = {
  maxTasksPerHour: 100,
  maxConcurrentTasks: 2,
  maxTaskSizeBytes: 102_400, // 100 KB
};

export const PRO_QUOTAS: TenantQuotas = {
  maxTasksPerHour: 10_000,
  maxConcurrentTasks: 50,
  maxTaskSizeBytes: 1_048_576, // 1 MB
};

/** No limits: an unset quota is unlimited. */
export const ENTERPRISE_QUOTAS: TenantQuotas = {};

export const TIER_QUOTAS = { free: FREE_QUOTAS, pro: PRO_QUOTAS, enterprise: ENTERPRISE_QUOTAS } as const;
export type Tier = keyof typeof TIER_QUOTAS;
