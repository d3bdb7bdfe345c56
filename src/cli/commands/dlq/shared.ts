import type { Argv, ArgumentsCamelCase } from 'yargs';
import { DeadLetterQueue } from '../../../dlq/queue.js';
import { InvalidArgumentError } from '../../../core/errors.js';
import { once, withCommonOptions, type CommonArgs } from '../../options.js';

/** Options of every `turbine dlq` command: the common ones, without `--actor` (nothing is audited). */
export function withDlqOptions<T>(yargs: Argv<T>): Argv<T & CommonArgs> {
  return withCommonOptions(yargs).hide('actor');
}

export interface FilterArgs {
  tenant: string | undefined;
  queue: string | undefined;
}

const FILTER_HELP = { tenant: 'Only entries of this tenant', queue: 'Only entries of this queue' };

/** `--tenant` and `--queue`, each at most once. */
export function withFilterOptions<T>(yargs: Argv<T>, help = FILTER_HELP): Argv<T & FilterArgs> {
  return yargs
    .option('tenant', { type: 'string', coerce: once('tenant'), requiresArg: true, describe: help.tenant })
    .option('queue', { type: 'string', coerce: once('queue'), requiresArg: true, describe: help.queue });
}

/** Runs `use` with a DeadLetterQueue built from the common options and always closes it. */
export async function withDeadLetterQueue<R>(
  argv: ArgumentsCamelCase<CommonArgs>,
  use: (dlq: DeadLetterQueue) => Promise<R>,
): Promise<R> {
  const dlq = new DeadLetterQueue({ backendUrl: argv.backendUrl, prefix: argv.prefix, shards: argv.shards });
  try {
    return await use(dlq);
  } finally {
    await dlq.close();
  }
}

/** A flag that must be an integer of at least `min` (flags are read as strings so `abc` is refused by name). */
export function parseCountFlag(flag: string, raw: unknown, min: number): number {
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(
      `Invalid --${flag} ${JSON.stringify(Array.isArray(raw) ? raw.join(' ') : String(raw))}: expected an integer of at least ${min}`,
    );
  }
  return value;
}

/** `of tenant 'acme' in queue 'emails'`, for messages about a filtered set of entries. */
export function describeFilter(filter: { tenantId?: string; queue?: string }): string {
  const parts: string[] = [];
  if (filter.tenantId !== undefined) parts.push(`of tenant '${filter.tenantId}'`);
  if (filter.queue !== undefined) parts.push(`in queue '${filter.queue}'`);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
