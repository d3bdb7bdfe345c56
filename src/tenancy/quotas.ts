import { z } from 'zod';
import { InvalidQuotaError } from '../core/errors.js';
import { isValidQueueName } from './validation.js';

/**
 * A tenant's quotas: the Python SDK's eight, `maxStoredResults` and its weight. An unset (or
 * `null`) quota means unlimited, so an empty object is the Python SDK's "Enterprise tier (no limits)".
 */
export interface TenantQuotas {
  /** Tasks accepted per hour; more are refused with `QuotaExceededError`. */
  maxTasksPerHour?: number | null;
  /** Tasks accepted per day; more are refused with `QuotaExceededError`. */
  maxTasksPerDay?: number | null;
  /** Tasks running at once, across all workers and queues; more are held back and run later. */
  maxConcurrentTasks?: number | null;
  /** Tasks submitted and not yet started (held back ones included); more are refused with `QueueFullError`. */
  maxQueueLength?: number | null;
  /** Size of a task's serialized arguments; larger tasks are refused with `TaskTooLargeError`. */
  maxTaskSizeBytes?: number | null;
  /** Size of a task's serialized result; a larger result is not stored and the task fails. */
  maxResultSizeBytes?: number | null;
  /** Queues the tenant may submit to; others are refused with `QueueNotAllowedError`. */
  allowedQueues?: string[] | null;
  /** Retries allowed per task; the smaller of this and the task's own `retries` applies. */
  maxRetryCount?: number | null;
  /**
   * Finished tasks whose result (or failure) stays stored; past it the tenant's oldest go
   * first. Unset: only the app's retention (per queue count and age) bounds them.
   */
  maxStoredResults?: number | null;
  /**
   * Share of a queue among the tenants with work waiting there: a tenant of weight 2 starts
   * twice as many tasks as one of weight 1 while both are backlogged. Unset (or `null`) is 1.
   */
  weight?: number | null;
}

export type QuotaName = keyof TenantQuotas;

/** The Python SDK's snake_case name of each quota, used on the wire, in Redis and in JSON output. */
export const QUOTA_WIRE_NAMES = {
  maxTasksPerHour: 'max_tasks_per_hour',
  maxTasksPerDay: 'max_tasks_per_day',
  maxConcurrentTasks: 'max_concurrent_tasks',
  maxQueueLength: 'max_queue_length',
  maxTaskSizeBytes: 'max_task_size_bytes',
  maxResultSizeBytes: 'max_result_size_bytes',
  allowedQueues: 'allowed_queues',
  maxRetryCount: 'max_retry_count',
  maxStoredResults: 'max_stored_results',
  weight: 'weight',
} as const satisfies Record<QuotaName, string>;

export type QuotaWireName = (typeof QUOTA_WIRE_NAMES)[QuotaName];

export const QUOTA_NAMES = Object.keys(QUOTA_WIRE_NAMES) as QuotaName[];
export const NUMERIC_QUOTA_NAMES = QUOTA_NAMES.filter((n) => n !== 'allowedQueues') as Exclude<
  QuotaName,
  'allowedQueues'
>[];

/** The largest weight: beyond it a tenant's window would round to the whole queue's anyway. */
export const MAX_WEIGHT = 10_000;

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable().optional();

const quotasSchema = z.strictObject({
  maxTasksPerHour: count,
  maxTasksPerDay: count,
  maxConcurrentTasks: count,
  maxQueueLength: count,
  maxTaskSizeBytes: count,
  maxResultSizeBytes: count,
  allowedQueues: z
    .array(z.string().refine(isValidQueueName, 'queue names use 1-64 letters, digits, ".", "_" or "-"'))
    .nullable()
    .optional(),
  maxRetryCount: count,
  maxStoredResults: count,
  weight: z.number().int().min(1).max(MAX_WEIGHT).nullable().optional(),
});

/**
 * Validates quotas given in TypeScript (camelCase). Accepts the Python SDK's snake_case names too,
 * so that configuration written for the Python SDK keeps working. Raises {@link InvalidQuotaError}
 * naming the first bad quota; nothing is written when this throws.
 */
export function parseQuotas(input: unknown): TenantQuotas {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidQuotaError('quotas', 'expected an object of quota names to values');
  }
  const camel = fromWireNames(input as Record<string, unknown>);
  const result = quotasSchema.safeParse(camel);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '?';
    throw new InvalidQuotaError(
      key,
      `unknown quota; known quotas are ${Object.values(QUOTA_WIRE_NAMES).join(', ')}`,
    );
  }
  const name = String(issue.path[0] ?? 'quotas') as QuotaName;
  const wire = QUOTA_WIRE_NAMES[name] ?? name;
  const got = (camel as Record<string, unknown>)[name];
  const reason =
    name === 'allowedQueues'
      ? `must be a list of queue names (${issue.message})`
      : name === 'weight'
        ? `must be an integer from 1 to ${MAX_WEIGHT}, or null for the default (1)`
        : 'must be a non-negative integer, or null for unlimited';
  throw new InvalidQuotaError(wire, `${reason}, got ${JSON.stringify(got)}`);
}

function fromWireNames(input: Record<string, unknown>): Record<string, unknown> {
  const byWire = new Map<string, QuotaName>(QUOTA_NAMES.map((n) => [QUOTA_WIRE_NAMES[n], n]));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    out[byWire.get(key) ?? key] = value;
  }
  return out;
}

/** The quotas with the Python SDK's names; unlimited ones are `null`, so every quota is listed. */
export function quotasToWire(quotas: TenantQuotas): Record<QuotaWireName, number | string[] | null> {
  const out = {} as Record<QuotaWireName, number | string[] | null>;
  for (const name of QUOTA_NAMES) out[QUOTA_WIRE_NAMES[name]] = quotas[name] ?? null;
  return out;
}
