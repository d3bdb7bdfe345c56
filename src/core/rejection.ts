import { QuotaExceededError, type TurbineError } from './errors.js';

/** Why a submission was refused, as the `reason` label of `turbine_tasks_rejected_total`. */
export type RejectionReason =
  | 'quota_hour'
  | 'quota_day'
  | 'queue_full'
  | 'rate_limited'
  | 'too_large'
  | 'queue_not_allowed'
  | 'disabled'
  | 'memory_pressure'
  | 'not_found'
  | 'internal';

export function rejectionReason(error: TurbineError): RejectionReason {
  switch (error.code) {
    case 'QUOTA_EXCEEDED':
      return error instanceof QuotaExceededError && error.window === 'day' ? 'quota_day' : 'quota_hour';
    case 'QUEUE_FULL':
      return 'queue_full';
    case 'RATE_LIMITED':
      return 'rate_limited';
    case 'TASK_TOO_LARGE':
      return 'too_large';
    case 'QUEUE_NOT_ALLOWED':
      return 'queue_not_allowed';
    case 'TENANT_DISABLED':
      return 'disabled';
    case 'REDIS_MEMORY_PRESSURE':
      return 'memory_pressure';
    case 'TENANT_NOT_FOUND':
      return 'not_found';
    default:
      return 'internal';
  }
}
