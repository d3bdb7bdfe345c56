import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { RedisClient } from '../../../store/connection.js';
import { KeyLayout } from '../../../core/keys.js';
import { RedisClientHolder } from '../../../store/holder.js';
import { assertQueueName, assertTenantId } from '../../../tenancy/validation.js';
import { once, withCommonOptions, type CommonArgs } from '../../options.js';

export interface TaskArgs extends CommonArgs {
  tenant: string;
  queue: string | undefined;
}

/** The common options, `--tenant` (required: task ids are per tenant) and `--queue`. */
export function withTaskOptions<T>(yargs: Argv<T>, queueHelp: string): Argv<T & TaskArgs> {
  return withCommonOptions(yargs)
    .option('tenant', { type: 'string', coerce: once('tenant'), requiresArg: true, demandOption: true, describe: 'The tenant whose task it is' })
    .option('queue', { type: 'string', coerce: once('queue'), requiresArg: true, describe: queueHelp });
}

/** The validated tenant and queue of a task command. */
export function taskScope(argv: ArgumentsCamelCase<TaskArgs>): { tenantId: string; queue: string | undefined } {
  return { tenantId: assertTenantId(argv.tenant), queue: argv.queue === undefined ? undefined : assertQueueName(argv.queue) };
}

/** Runs `use` with a Redis client and the key layout from the common options; always closes it. */
export async function withTaskStore<R>(
  argv: ArgumentsCamelCase<CommonArgs>,
  use: (client: RedisClient, keys: KeyLayout) => Promise<R>,
): Promise<R> {
  const holder = new RedisClientHolder({ backendUrl: argv.backendUrl, prefix: argv.prefix });
  try {
    return await use(await holder.get(), new KeyLayout(holder.prefix));
  } finally {
    await holder.close();
  }
}
