import { TurbineError, type TurbineErrorCode } from './errors.js';

/**
 * The four kinds of failure every caller acts on differently:
 * - `bad_input`: the caller's request is wrong; retrying it unchanged cannot help (CLI exit 2,
 *   HTTP 400);
 * - `refused`: a valid request that Turbine declines now (a quota, a missing tenant or task, a
 *   disabled tenant); it may succeed later or for another tenant (CLI exit 1, HTTP 4xx);
 * - `unavailable`: Redis cannot be reached or did not answer in time; retry (HTTP 503);
 * - `internal`: a defect or an unexpected reply; never the caller's fault (HTTP 500).
 */
export type ErrorCategory = 'bad_input' | 'refused' | 'unavailable' | 'internal';

const CATEGORY: Record<TurbineErrorCode, ErrorCategory> = {
  INVALID_TENANT_ID: 'bad_input',
  INVALID_QUOTA: 'bad_input',
  INVALID_ARGUMENT: 'bad_input',
  CONFIG_INVALID: 'bad_input',
  TENANT_NOT_FOUND: 'refused',
  TENANT_EXISTS: 'refused',
  TENANT_DISABLED: 'refused',
  TENANT_HAS_QUEUED_TASKS: 'refused',
  QUOTA_EXCEEDED: 'refused',
  RATE_LIMITED: 'refused',
  QUEUE_NOT_ALLOWED: 'refused',
  QUEUE_FULL: 'refused',
  TASK_TOO_LARGE: 'refused',
  RESULT_TOO_LARGE: 'refused',
  TENANT_MISMATCH: 'refused',
  TASK_NOT_FOUND: 'refused',
  DEAD_LETTER_NOT_FOUND: 'refused',
  DEAD_LETTER_NOT_REPLAYABLE: 'refused',
  TASK_FAILED: 'refused',
  HANDLER_TIMEOUT: 'refused',
  TIMEOUT: 'unavailable',
  REDIS_UNAVAILABLE: 'unavailable',
  REDIS_MEMORY_PRESSURE: 'unavailable',
  NOT_REPLICATED: 'unavailable',
  INTERNAL: 'internal',
};

/** The category of anything thrown: by Turbine's code, else by the connection error it is. */
export function classify(error: unknown): ErrorCategory {
  if (error instanceof TurbineError) return CATEGORY[error.code];
  return isConnectionError(error) ? 'unavailable' : 'internal';
}

/** True for errors that mean "Redis is not reachable right now" rather than a bad command. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH'].includes(code) ||
    /Connection is closed|Stream isn't writeable|max retries per request|Reached the max retries/i.test(error.message)
  );
}

/** An `OOM command not allowed …` reply: Redis refused a write (a whole script) for memory. */
export function isOutOfMemoryReply(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('OOM ');
}
