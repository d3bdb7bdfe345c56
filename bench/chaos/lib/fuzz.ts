/**
 * Building blocks of generated bad input: each value here is invalid by the rules of
 * src/tenancy/validation.ts, src/tenancy/quotas.ts and the CLI's flag parsing, never merely
 * unusual. Generation is seeded, so `seed` and the case number reproduce any input.
 */
export type Random = () => number;

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
export const int = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

const VALID_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-';
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** Characters a tenant id or queue name may not contain (they would break key isolation). */
const FORBIDDEN_CHARS = [':', '{', '}', '*', ' ', '/', '\\', '@', '#', 'é', '日', '\t', '?', '"', "'", '$', '%', ',', '+', '=', '!', '[', ']', '~', '\u0000'];

export function validName(random: Random, length = int(random, 3, 12)): string {
  let out = pick(random, [...ALNUM]);
  while (out.length < length) out += pick(random, [...VALID_CHARS]);
  return out;
}

/**
 * An invalid tenant id or queue name: a forbidden character, a bad first character, too long,
 * or empty. `forCli` avoids a leading '-', which the CLI would read as a flag (`-h` is help).
 */
export function badName(random: Random, forCli = false): string {
  const base = validName(random);
  switch (int(random, 0, 3)) {
    case 0: {
      const at = int(random, 0, base.length);
      return base.slice(0, at) + pick(random, FORBIDDEN_CHARS.filter((c) => !forCli || c !== '\u0000')) + base.slice(at);
    }
    case 1:
      return pick(random, forCli ? ['.', '_'] : ['.', '_', '-']) + base;
    case 2:
      return validName(random, int(random, 65, 90));
    default:
      return '';
  }
}

/** A quota flag value the CLI must refuse: not a non-negative integer, nor `unlimited`. */
export function badQuotaText(random: Random): string {
  return pick(random, [
    `-${int(random, 1, 10_000)}`,
    `${int(random, 0, 999)}.${int(random, 1, 9)}`,
    `${int(random, 1, 999)}${pick(random, ['abc', 'k', ' apples', '_000', '%'])}`,
    'abc', 'NaN', 'Infinity', '1e400', '9007199254740993', '', '   ', 'true', 'null', 'unlimitd', '∞', '١٢',
  ]);
}

/** A quota value TenantManager must refuse. */
export function badQuotaValue(random: Random): unknown {
  return pick<unknown>(random, [-1, -int(random, 1, 1000), int(random, 0, 99) + 0.5, Number.NaN, Infinity, -Infinity, '5', true, {}, [], 2 ** 53 + 2]);
}

export const QUOTA_FLAGS = [
  'max-tasks-per-hour', 'max-tasks-per-day', 'max-concurrent-tasks', 'max-queue-length',
  'max-task-size-bytes', 'max-result-size-bytes', 'max-retry-count',
] as const;

export const QUOTA_KEYS = [
  'maxTasksPerHour', 'maxTasksPerDay', 'maxConcurrentTasks', 'maxQueueLength',
  'maxTaskSizeBytes', 'maxResultSizeBytes', 'maxRetryCount',
] as const;

/** An invalid task name: a character task names may not hold, a bad first character, too long, or empty. */
export function badTaskName(random: Random): string {
  const base = validName(random);
  switch (int(random, 0, 3)) {
    case 0: {
      const at = int(random, 0, base.length);
      return base.slice(0, at) + pick(random, [' ', '{', '}', '*', 'é', '\t', '?', '"', ',', '+', '=', '!', '@', '#']) + base.slice(at);
    }
    case 1:
      return pick(random, ['.', '-', ':', '/']) + base;
    case 2:
      return validName(random, int(random, 129, 160));
    default:
      return '';
  }
}
