import { z } from 'zod';
import { InvalidQuotaError } from '../core/errors.js';
import { isValidQueueName } from './validation.js';

/** What happens to a task submitted faster than the tenant's rate limit allows. */
export const RATE_LIMIT_MODES = ['throttle', 'reject'] as const;
export type RateLimitMode = (typeof RATE_LIMIT_MODES)[number];

/**
 * A tenant's quotas: the Python SDK's eight, `maxStoredResults`, its weight and its rate limit. An unset (or
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
  /** Tasks started per second, across all workers and queues; more are held back (or refused: `rateLimitMode`). */
  maxTasksPerSecond?: number | null;
  /** Tasks started per minute, across all workers and queues; more are held back (or refused: `rateLimitMode`). */
  maxTasksPerMinute?: number | null;
  /**
   * Tasks that may start at once after the tenant was idle, under each rate limit. Unset (or
   * `null`) is one second's worth of the tighter limit.
   */
  rateBurst?: number | null;
  /**
   * `throttle` (unset, or `null`): tasks over the rate are held back and start as the rate
   * allows. `reject`: they are refused at submission with `RateLimitedError`.
   */
  rateLimitMode?: RateLimitMode | null;
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
  maxTasksPerSecond: 'max_tasks_per_second',
  maxTasksPerMinute: 'max_tasks_per_minute',
  rateBurst: 'rate_burst',
  rateLimitMode: 'rate_limit_mode',
} as const satisfies Record<QuotaName, string>;

export type QuotaWireName = (typeof QUOTA_WIRE_NAMES)[QuotaName];

export const QUOTA_NAMES = Object.keys(QUOTA_WIRE_NAMES) as QuotaName[];
export const NUMERIC_QUOTA_NAMES = QUOTA_NAMES.filter((n) => n !== 'allowedQueues' && n !== 'rateLimitMode') as Exclude<
  QuotaName,
  'allowedQueues' | 'rateLimitMode'
>[];

/** A quota's value: a count, a list of queues (`allowedQueues`) or a mode (`rateLimitMode`); `null` when unset. */
export type QuotaValue = number | string | string[] | null;

/** The largest weight: beyond it a tenant's window would round to the whole queue's anyway. */
export const MAX_WEIGHT = 10_000;

/**
 * The largest rate: a million tasks a second is beyond what one Redis can start, so a larger
 * number is a mistake rather than a limit.
 */
export const MAX_RATE = 1_000_000;

const rate = z.number().int().min(1).max(MAX_RATE).nullable().optional();

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
  maxTasksPerSecond: rate,
  maxTasksPerMinute: rate,
  rateBurst: rate,
  rateLimitMode: z.enum(RATE_LIMIT_MODES).nullable().optional(),
});

/** What a valid value of each quota is, for the error about an invalid one. */
const COUNT_RULE = 'must be a non-negative integer, or null for unlimited';
const RATE_RULE = `must be an integer from 1 to ${MAX_RATE}, or null for unlimited`;
const RULES: Record<Exclude<QuotaName, 'allowedQueues'>, string> = {
  maxTasksPerHour: COUNT_RULE,
  maxTasksPerDay: COUNT_RULE,
  maxConcurrentTasks: COUNT_RULE,
  maxQueueLength: COUNT_RULE,
  maxTaskSizeBytes: COUNT_RULE,
  maxResultSizeBytes: COUNT_RULE,
  maxRetryCount: COUNT_RULE,
  maxStoredResults: COUNT_RULE,
  weight: `must be an integer from 1 to ${MAX_WEIGHT}, or null for the default (1)`,
  maxTasksPerSecond: RATE_RULE,
  maxTasksPerMinute: RATE_RULE,
  rateBurst: `must be an integer from 1 to ${MAX_RATE}, or null for the default (one second's worth)`,
  rateLimitMode: `must be one of ${RATE_LIMIT_MODES.join(', ')}, or null for the default (throttle)`,
};

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
  const reason = name === 'allowedQueues' ? `must be a list of queue names (${issue.message})` : RULES[name];
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
export function quotasToWire(quotas: TenantQuotas): Record<QuotaWireName, QuotaValue> {
  const out = {} as Record<QuotaWireName, QuotaValue>;
  for (const name of QUOTA_NAMES) out[QUOTA_WIRE_NAMES[name]] = quotas[name] ?? null;
  return out;
}
