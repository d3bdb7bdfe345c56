import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { RedisClient } from '../../../store/connection.js';
import type { KeyLayout } from '../../../core/keys.js';
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

/**
 * Runs `use` with a Redis client and the keys of `tenantId`'s shard, from the common options;
 * always closes the client.
 */
export async function withTaskStore<R>(
  argv: ArgumentsCamelCase<CommonArgs>,
  tenantId: string,
  use: (client: RedisClient, keys: KeyLayout) => Promise<R>,
): Promise<R> {
  const holder = new RedisClientHolder({ backendUrl: argv.backendUrl, prefix: argv.prefix, shards: argv.shards });
  try {
    const client = await holder.get();
    return await use(client, await holder.router().keysOf(client, tenantId));
  } finally {
    await holder.close();
  }
}
