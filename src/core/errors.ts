/**
 * Every error Turbine raises on purpose. Each class is small, sets `name`, carries a stable
 * `code` for programs and a message for people that says what is wrong and how to fix it.
 * Lua scripts report refusals as negative codes; `errorFromScript` (script-errors.ts) turns
 * them into these classes so that a message is the same wherever it is raised, and
 * `classify` (classify.ts) sorts them into the four categories every caller acts on.
 */

export type TurbineErrorCode =
  | 'TENANT_NOT_FOUND'
  | 'TENANT_EXISTS'
  | 'TENANT_DISABLED'
  | 'TENANT_HAS_QUEUED_TASKS'
  | 'INVALID_TENANT_ID'
  | 'INVALID_QUOTA'
  | 'INVALID_ARGUMENT'
  | 'QUOTA_EXCEEDED'
  | 'RATE_LIMITED'
  | 'QUEUE_NOT_ALLOWED'
  | 'QUEUE_FULL'
  | 'TASK_TOO_LARGE'
  | 'RESULT_TOO_LARGE'
  | 'TENANT_MISMATCH'
  | 'TASK_NOT_FOUND'
  | 'DEAD_LETTER_NOT_FOUND'
  | 'DEAD_LETTER_NOT_REPLAYABLE'
  | 'TASK_FAILED'
  | 'TIMEOUT'
  | 'HANDLER_TIMEOUT'
  | 'CONFIG_INVALID'
  | 'REDIS_UNAVAILABLE'
  | 'INTERNAL'
  | 'REDIS_MEMORY_PRESSURE'
  | 'NOT_REPLICATED';

export class TurbineError extends Error {
  readonly code: TurbineErrorCode;

  constructor(code: TurbineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TurbineError';
    this.code = code;
  }
}

export class TenantNotFoundError extends TurbineError {
  constructor(readonly tenantId: string) {
    super(
      'TENANT_NOT_FOUND',
      `Tenant '${tenantId}' not found; see 'turbine tenant list', or create it with 'turbine tenant create ${tenantId} <name>'`,
    );
    this.name = 'TenantNotFoundError';
  }
}

export class TenantExistsError extends TurbineError {
  constructor(readonly tenantId: string) {
    super(
      'TENANT_EXISTS',
      `Tenant '${tenantId}' already exists; change it with 'turbine tenant update ${tenantId}'`,
    );
    this.name = 'TenantExistsError';
  }
}

export class TenantDisabledError extends TurbineError {
  constructor(readonly tenantId: string) {
    super(
      'TENANT_DISABLED',
      `Tenant '${tenantId}' is disabled; enable it with 'turbine tenant update ${tenantId} --enabled true'`,
    );
    this.name = 'TenantDisabledError';
  }
}

export class TenantHasQueuedTasksError extends TurbineError {
  constructor(
    readonly tenantId: string,
    readonly queuedTasks: number,
    /** What to do instead (default: how to delete it anyway). */
    fix = 'pass --force (force: true) to delete it and send them to the dead-letter queue',
  ) {
    super('TENANT_HAS_QUEUED_TASKS', `Tenant '${tenantId}' has ${queuedTasks} queued task(s); ${fix}`);
    this.name = 'TenantHasQueuedTasksError';
  }
}

export class InvalidTenantIdError extends TurbineError {
  constructor(readonly tenantId: unknown) {
    super(
      'INVALID_TENANT_ID',
      `Invalid tenant id ${JSON.stringify(tenantId)}: use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit`,
    );
    this.name = 'InvalidTenantIdError';
  }
}

export class InvalidQuotaError extends TurbineError {
  constructor(
    readonly quota: string,
    reason: string,
  ) {
    super('INVALID_QUOTA', `Invalid quota ${quota}: ${reason}`);
    this.name = 'InvalidQuotaError';
  }
}

/** Bad input that is not a tenant id or a quota: a queue name, a task option, a flag value. */
export class InvalidArgumentError extends TurbineError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
    this.name = 'InvalidArgumentError';
  }
}

export type QuotaWindow = 'hour' | 'day';

export class QuotaExceededError extends TurbineError {
  constructor(
    readonly tenantId: string,
    readonly window: QuotaWindow,
    readonly limit: number,
    /** When the window's counter resets, if known. */
    readonly resetsAt: Date | null,
  ) {
    super('QUOTA_EXCEEDED', quotaExceededMessage(window, limit, resetsAt));
    this.name = 'QuotaExceededError';
  }

  /** Seconds until the window resets (for a `Retry-After` header), at least 1. */
  get retryAfterSeconds(): number {
    if (!this.resetsAt) return 1;
    return Math.max(1, Math.ceil((this.resetsAt.getTime() - Date.now()) / 1000));
  }
}

export function quotaExceededMessage(window: QuotaWindow, limit: number, resetsAt: Date | null): string {
  const head = `${window === 'hour' ? 'Hourly' : 'Daily'} task quota exceeded (${limit})`;
  if (!resetsAt) return head;
  const seconds = Math.max(0, Math.ceil((resetsAt.getTime() - Date.now()) / 1000));
  return `${head}; resets in ${formatDuration(seconds)} at ${resetsAt.toISOString()}`;
}

export type RateUnit = 'second' | 'minute';

/**
 * A tenant whose `rate_limit_mode` is `reject` submitted faster than its `max_tasks_per_second`
 * (or `_per_minute`) allows. In the default mode, `throttle`, such tasks are held back instead.
 */
export class RateLimitedError extends TurbineError {
  constructor(
    readonly tenantId: string,
    readonly limit: number,
    readonly unit: RateUnit,
    /** When the tenant's rate next allows a task. */
    readonly retryAt: Date,
  ) {
    const ms = Math.max(0, retryAt.getTime() - Date.now());
    super(
      'RATE_LIMITED',
      `Rate limit exceeded (${limit} tasks per ${unit}) for tenant '${tenantId}'; retry in ${(ms / 1000).toFixed(3)} s, ` +
        `or set rate_limit_mode to throttle to have such tasks held back instead of refused`,
    );
    this.name = 'RateLimitedError';
  }

  /** Milliseconds until the tenant's rate allows a task. */
  get retryAfterMs(): number {
    return Math.max(0, this.retryAt.getTime() - Date.now());
  }

  /** Seconds until the tenant's rate allows a task (for a `Retry-After` header), at least 1. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.retryAfterMs / 1000));
  }
}

export class QueueNotAllowedError extends TurbineError {
  constructor(
    readonly tenantId: string,
    readonly queue: string,
    readonly allowedQueues: readonly string[],
  ) {
    super(
      'QUEUE_NOT_ALLOWED',
      `Queue '${queue}' is not allowed for tenant '${tenantId}' (allowed_queues: ${
        allowedQueues.length ? allowedQueues.join(', ') : 'none'
      })`,
    );
    this.name = 'QueueNotAllowedError';
  }
}

export class QueueFullError extends TurbineError {
  constructor(
    readonly tenantId: string,
    readonly limit: number,
  ) {
    super(
      'QUEUE_FULL',
      `Queue length quota exceeded (${limit}): tenant '${tenantId}' already has ${limit} pending task(s)`,
    );
    this.name = 'QueueFullError';
  }
}

export class TaskTooLargeError extends TurbineError {
  constructor(
    readonly tenantId: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(
      'TASK_TOO_LARGE',
      `Task payload too large: ${sizeBytes} bytes > max_task_size_bytes ${limitBytes} of tenant '${tenantId}'`,
    );
    this.name = 'TaskTooLargeError';
  }
}

export class ResultTooLargeError extends TurbineError {
  constructor(
    readonly tenantId: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(
      'RESULT_TOO_LARGE',
      `Task result too large: ${sizeBytes} bytes > max_result_size_bytes ${limitBytes} of tenant '${tenantId}'; the result was not stored`,
    );
    this.name = 'ResultTooLargeError';
  }
}

export class TenantMismatchError extends TurbineError {
  constructor(message: string) {
    super('TENANT_MISMATCH', message);
    this.name = 'TenantMismatchError';
  }
}

export class TaskNotFoundError extends TurbineError {
  constructor(
    readonly queue: string,
    readonly taskId: string,
  ) {
    super('TASK_NOT_FOUND', `Task '${taskId}' not found in queue '${queue}' (it may have been removed by retention)`);
    this.name = 'TaskNotFoundError';
  }
}

/**
 * Rethrown by `AsyncResult.get()` when the task's handler failed: `remoteName` and `remoteCode`
 * are the `name` and `code` of the error the handler threw (`'TypeError'`, `'ECONNRESET'`).
 */
export class TaskFailedError extends TurbineError {
  constructor(
    readonly taskId: string,
    readonly reason: string,
    readonly remoteStack?: string,
    readonly remoteName = 'Error',
    readonly remoteCode?: string,
  ) {
    super('TASK_FAILED', `Task '${taskId}' failed: ${reason}`);
    this.name = 'TaskFailedError';
  }
}

export class TimeoutError extends TurbineError {
  constructor(message: string) {
    super('TIMEOUT', message);
    this.name = 'TimeoutError';
  }
}

export class ConfigError extends TurbineError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
    this.name = 'ConfigError';
  }
}

export class RedisUnavailableError extends TurbineError {
  constructor(redactedUrl: string, detail: string, options?: { cause?: unknown }) {
    super(
      'REDIS_UNAVAILABLE',
      `Cannot reach Redis at ${redactedUrl} (${detail}); start Redis or pass --backend-url (TURBINE_BACKEND_URL)`,
      options,
    );
    this.name = 'RedisUnavailableError';
  }
}

export class NotReplicatedError extends TurbineError {
  constructor(
    /** Tasks Redis stored whose copy on a replica was not confirmed. */
    readonly taskIds: readonly string[],
    readonly confirmedReplicas: number,
    readonly requiredReplicas: number,
    timeoutMs: number,
  ) {
    super(
      'NOT_REPLICATED',
      `Redis stored ${taskIds.length} task(s) but ${confirmedReplicas} of the ${requiredReplicas} replica(s) required confirmed them ` +
        `within ${timeoutMs} ms, so a failover now could lose them; submit again with the same taskId ` +
        '(a duplicate is answered with the task already stored), and check the replicas (INFO replication)',
    );
    this.name = 'NotReplicatedError';
  }
}

/**
 * A handler ran longer than its task's `timeoutMs`: raised in the worker, and again by
 * `AsyncResult.get()` on the producer's side.
 */
export class HandlerTimeoutError extends TurbineError {
  constructor(readonly timeoutMs: number) {
    super('HANDLER_TIMEOUT', `Task timed out after ${timeoutMs} ms`);
    this.name = 'HandlerTimeoutError';
  }
}

/**
 * Something that should not happen did: an unexpected reply from a script, a broken
 * invariant. Not the caller's fault, so never reported as bad input.
 */
export class InternalError extends TurbineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INTERNAL', message, options);
    this.name = 'InternalError';
  }
}

/** Turns anything thrown into an Error, at catch boundaries. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : `Non-error thrown: ${safeStringify(thrown)}`);
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `3725` → `1h 2m 5s`. */
export function formatDuration(totalSeconds: number): string {
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  const parts = [h ? `${h}h` : '', m ? `${m}m` : '', s || (!h && !m) ? `${s}s` : ''];
  return parts.filter(Boolean).join(' ');
}
