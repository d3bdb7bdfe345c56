import { STATUS_CODES } from 'node:http';
import { classify } from '../core/classify.js';
import {
  InvalidArgumentError,
  QuotaExceededError,
  RateLimitedError,
  TenantDisabledError,
  TenantNotFoundError,
  TurbineError,
  type TurbineErrorCode,
} from '../core/errors.js';
import { RedisMemoryPressureError } from '../dispatcher/memory-pressure.js';

/** What an HTTP server answers for an error: status, JSON body and extra headers. */
export interface HttpErrorResponse {
  status: number;
  body: { error: string; message: string };
  headers: Record<string, string>;
}

export interface HttpErrorOptions {
  /**
   * `Retry-After` for a full queue: unlike a quota window, a queue has no reset time, it
   * drains as workers run its tasks, so the hint is a fixed guess.
   * @defaultValue 5
   */
  queueFullRetryAfterSeconds?: number;
}

/** No tenant found in a request by any strategy, and no default tenant. */
export class TenantRequiredError extends InvalidArgumentError {
  constructor(message: string) {
    super(message);
    this.name = 'TenantRequiredError';
  }
}

/** Codes of client mistakes whose Turbine message is safe and useful to show the client. */
const CLIENT_STATUS: Partial<Record<TurbineErrorCode, number>> = {
  INVALID_TENANT_ID: 400,
  INVALID_ARGUMENT: 400,
  INVALID_QUOTA: 400,
  TENANT_NOT_FOUND: 404,
  TENANT_DISABLED: 403,
  QUEUE_NOT_ALLOWED: 403,
  TENANT_EXISTS: 409,
  TENANT_HAS_QUEUED_TASKS: 409,
  TASK_TOO_LARGE: 413,
  QUOTA_EXCEEDED: 429,
  QUEUE_FULL: 429,
};

/**
 * Maps anything thrown while serving a request to an HTTP answer. Turbine's refusals keep
 * their code and message; everything else becomes a 500 (or 503 while Redis is away) with a
 * fixed message, because internal messages can carry hosts, keys or stack details.
 */
export function httpErrorFor(error: unknown, options: HttpErrorOptions = {}): HttpErrorResponse {
  if (error instanceof TenantRequiredError) return answer(400, 'TENANT_REQUIRED', error.message);
  if (error instanceof TurbineError) return forTurbineError(error, options);
  const client = clientError(error);
  if (client) return answer(client.status, codeForStatus(client.status), client.message);
  return classify(error) === 'unavailable' ? unavailable() : internal();
}

function forTurbineError(error: TurbineError, options: HttpErrorOptions): HttpErrorResponse {
  switch (error.code) {
    case 'QUOTA_EXCEEDED': {
      const seconds = error instanceof QuotaExceededError ? error.retryAfterSeconds : 1;
      return answer(429, error.code, error.message, { 'retry-after': String(seconds) });
    }
    case 'RATE_LIMITED': {
      const seconds = error instanceof RateLimitedError ? error.retryAfterSeconds : 1;
      return answer(429, error.code, error.message, { 'retry-after': String(seconds) });
    }
    case 'QUEUE_FULL': {
      const seconds = options.queueFullRetryAfterSeconds ?? 5;
      return answer(429, error.code, error.message, { 'retry-after': String(seconds) });
    }
    case 'TENANT_DISABLED': {
      // Turbine's message ends with an operator hint (a CLI command), not meant for API clients.
      const message = error instanceof TenantDisabledError ? `Tenant '${error.tenantId}' is disabled` : 'Tenant is disabled';
      return answer(403, error.code, message);
    }
    case 'TENANT_NOT_FOUND':
      // As for a disabled tenant: the operator's hint is not for API clients.
      return answer(404, error.code, error instanceof TenantNotFoundError ? `Tenant '${error.tenantId}' not found` : 'Tenant not found');
    case 'TASK_NOT_FOUND':
    case 'TENANT_MISMATCH':
      // Another tenant's task is reported as not found, with the same message as a missing
      // one, so that a client cannot learn which task ids (or pinned tenants) others have.
      return answer(404, 'TASK_NOT_FOUND', 'Task not found');
    case 'TIMEOUT':
      return answer(504, error.code, error.message);
    case 'REDIS_MEMORY_PRESSURE': {
      const seconds = error instanceof RedisMemoryPressureError ? error.retryAfterSeconds : 1;
      return answer(503, error.code, 'The task service is low on storage; try again shortly', { 'retry-after': String(seconds) });
    }
    case 'NOT_REPLICATED':
      return unavailable();
    default: {
      const status = CLIENT_STATUS[error.code];
      if (status !== undefined) return answer(status, error.code, error.message);
      // Other codes are the server's own problem (its configuration, a defect): not shown.
      return classify(error) === 'unavailable' ? unavailable() : internal();
    }
  }
}

/**
 * A 4xx raised by the framework itself (malformed JSON, a body over its size limit, a schema
 * violation). Their messages describe the request, not the server, so they are shown unless
 * the error says otherwise (`expose: false`, the http-errors convention).
 */
function clientError(error: unknown): { status: number; message: string } | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { status, statusCode, expose, message } = error as Record<string, unknown>;
  const value = typeof statusCode === 'number' ? statusCode : status;
  if (typeof value !== 'number' || value < 400 || value > 499) return undefined;
  const shown = expose !== false && typeof message === 'string' && message !== '';
  return { status: value, message: shown ? message : (STATUS_CODES[value] ?? 'Bad request') };
}

function codeForStatus(status: number): string {
  return (STATUS_CODES[status] ?? 'Bad request').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

function unavailable(): HttpErrorResponse {
  return answer(503, 'SERVICE_UNAVAILABLE', 'The task service is unavailable; try again shortly', { 'retry-after': '5' });
}

function internal(): HttpErrorResponse {
  return answer(500, 'INTERNAL', 'Internal server error');
}

function answer(status: number, code: string, message: string, headers: Record<string, string> = {}): HttpErrorResponse {
  return { status, body: { error: code, message }, headers };
}
