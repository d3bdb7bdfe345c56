import {
  InternalError,
  QueueFullError,
  QueueNotAllowedError,
  QuotaExceededError,
  RateLimitedError,
  type RateUnit,
  TaskTooLargeError,
  TenantDisabledError,
  TenantExistsError,
  TenantHasQueuedTasksError,
  TenantNotFoundError,
  type TurbineError,
} from './errors.js';

/**
 * Negative codes returned by Turbine's Lua scripts, with the values that follow them in the
 * reply. One table, so that each refusal is reported the same way by every script; the scripts
 * name them with the same names (`ScriptError` in `core/lua/includes/scriptErrors.lua`).
 */
export const ScriptErrorCode = {
  TenantNotFound: -1,
  TenantDisabled: -2,
  QueueNotAllowed: -3,
  TaskTooLarge: -4,
  QuotaHour: -5,
  QuotaDay: -6,
  QueueFull: -7,
  TenantExists: -8,
  TenantHasQueuedTasks: -9,
  RateLimited: -10,
} as const;

/** Builds the error for a script refusal; `details` are the reply values after the code. */
export function errorFromScript(code: number, tenantId: string, details: readonly unknown[]): TurbineError {
  const num = (i: number): number => Number(details[i] ?? 0);
  switch (code) {
    case ScriptErrorCode.TenantNotFound:
      return new TenantNotFoundError(tenantId);
    case ScriptErrorCode.TenantDisabled:
      return new TenantDisabledError(tenantId);
    case ScriptErrorCode.QueueNotAllowed:
      return new QueueNotAllowedError(tenantId, String(details[0]), JSON.parse(String(details[1] ?? '[]')) as string[]);
    case ScriptErrorCode.TaskTooLarge:
      return new TaskTooLargeError(tenantId, num(0), num(1));
    case ScriptErrorCode.QuotaHour:
    case ScriptErrorCode.QuotaDay:
      return new QuotaExceededError(
        tenantId,
        code === ScriptErrorCode.QuotaHour ? 'hour' : 'day',
        num(0),
        num(1) > 0 ? new Date(Date.now() + num(1)) : null,
      );
    case ScriptErrorCode.QueueFull:
      return new QueueFullError(tenantId, num(0));
    case ScriptErrorCode.TenantExists:
      return new TenantExistsError(tenantId);
    case ScriptErrorCode.RateLimited: {
      // Details: ms until a start is allowed, then "<limit>:<second|minute>".
      const [limit, unit] = String(details[1] ?? '0:second').split(':');
      return new RateLimitedError(tenantId, Number(limit), unit as RateUnit, new Date(Date.now() + num(0)));
    }
    case ScriptErrorCode.TenantHasQueuedTasks:
      return new TenantHasQueuedTasksError(tenantId, num(0));
    default:
      return new InternalError(`Unexpected script reply code ${code} for tenant '${tenantId}'`);
  }
}
