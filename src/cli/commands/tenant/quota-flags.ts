import type { Argv } from 'yargs';
import { InvalidArgumentError } from '../../../core/errors.js';
import { QUOTA_NAMES, QUOTA_WIRE_NAMES, type QuotaName, type QuotaValue, type RateLimitMode, type TenantQuotas } from '../../../tenancy/quotas.js';
import { once } from '../../options.js';

/** One flag per quota of the Python SDK, its snake_case name in kebab-case: `--max-tasks-per-hour`. */
export function quotaFlag(name: QuotaName): string {
  return QUOTA_WIRE_NAMES[name].replaceAll('_', '-');
}

const DESCRIPTIONS: Record<QuotaName, string> = {
  maxTasksPerHour: 'Tasks accepted per hour',
  maxTasksPerDay: 'Tasks accepted per day',
  maxConcurrentTasks: 'Tasks running at once; more are held back',
  maxQueueLength: 'Tasks submitted and not yet started',
  maxTaskSizeBytes: 'Size of a task payload, in bytes',
  maxResultSizeBytes: 'Size of a task result, in bytes',
  allowedQueues: 'Queues the tenant may use, comma-separated (a,b,c)',
  maxRetryCount: 'Retries allowed per task',
  maxStoredResults: 'Finished tasks kept with their result; the oldest go first',
  weight: 'Share of a busy queue against other backlogged tenants (default 1; "unlimited" resets it)',
  maxTasksPerSecond: 'Tasks started per second; more are held back (or refused: --rate-limit-mode)',
  maxTasksPerMinute: 'Tasks started per minute; more are held back (or refused: --rate-limit-mode)',
  rateBurst: 'Tasks that may start at once under the rate limits (default one second\'s worth)',
  rateLimitMode: 'Over the rate: throttle (hold back, the default) or reject ("unlimited" resets it)',
};

/** Words that remove a limit; in TenantManager terms, a `null` quota. */
const UNLIMITED = new Set(['unlimited', 'none']);

/**
 * Adds the quota flags. They are strings, not numbers: yargs would turn `--max-queue-length abc`
 * into NaN silently, and `unlimited` must get through.
 */
export function withQuotaFlags<T>(yargs: Argv<T>): Argv<T> {
  for (const name of QUOTA_NAMES) {
    yargs.option(quotaFlag(name), {
      type: 'string',
      coerce: once(quotaFlag(name)),
      requiresArg: true,
      group: 'Quotas ("unlimited" removes a limit):',
      describe: DESCRIPTIONS[name],
    });
  }
  return yargs;
}

/**
 * The quotas given on the command line, or undefined when none was. Only the syntax is checked
 * here; TenantManager's `parseQuotas` judges the values (non-negative integers, queue names).
 */
export function quotasFromFlags(argv: Readonly<Record<string, unknown>>): TenantQuotas | undefined {
  const quotas: TenantQuotas = {};
  let given = false;
  for (const name of QUOTA_NAMES) {
    const raw = argv[quotaFlag(name)];
    if (raw === undefined) continue;
    given = true;
    const value = parseQuotaFlag(name, raw);
    if (name === 'allowedQueues') quotas.allowedQueues = value as string[] | null;
    // The mode's value is judged by parseQuotas, with the others.
    else if (name === 'rateLimitMode') quotas.rateLimitMode = value as RateLimitMode | null;
    else quotas[name] = value as number | null;
  }
  return given ? quotas : undefined;
}

function parseQuotaFlag(name: QuotaName, raw: unknown): QuotaValue {
  const flag = `--${quotaFlag(name)}`;
  const text = String(raw).trim();
  if (UNLIMITED.has(text.toLowerCase())) return null;
  if (name === 'allowedQueues') return text === '' ? [] : text.split(',').map((queue) => queue.trim());
  if (name === 'rateLimitMode') return text;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) {
    throw new InvalidArgumentError(
      `Invalid ${flag} ${JSON.stringify(String(raw))}: expected a number, or 'unlimited' for no limit`,
    );
  }
  return value;
}
