// Guide: Best Practices → "4. Graceful Degradation".
import { QuotaExceededError, type TaskDefinition, type TenantManager } from 'turbine-tasks';

export type SubmitAnswer = { task_id: string } | { error: string; code: 'QUOTA_EXCEEDED' };

/**
 * Submits, and turns a spent quota into an answer for the user. The refusal is the check:
 * Turbine checks and counts each submission atomically, so no separate check is needed
 * and none can be raced past.
 */
export async function submitGracefully<D>(
  myTask: TaskDefinition<[D], unknown>,
  tenantId: string,
  data: D,
): Promise<SubmitAnswer> {
  try {
    const result = await myTask.applyAsync({ args: [data], tenantId });
    return { task_id: result.taskId };
  } catch (error) {
    if (error instanceof QuotaExceededError) return { error: error.message, code: 'QUOTA_EXCEEDED' };
    throw error;
  }
}

/**
 * The Python SDK's `check_quota` before submitting, now advisory: useful to skip preparing an
 * expensive payload, but another producer can take the last slot between this check and
 * the submission, so `submitGracefully` still handles the refusal.
 */
export async function hourlyQuotaLooksAvailable(manager: TenantManager, tenantId: string): Promise<boolean> {
  const [allowed] = await manager.checkQuota(tenantId, 'tasks_per_hour');
  return allowed;
}
