import type { Argv } from 'yargs';
import { once } from '../../options.js';

export interface PoolArgs {
  pool: string | undefined;
}

/** `--pool <name>` of `tenant create` and `tenant update` (validated by the tenant manager). */
export function withPoolFlag<T>(yargs: Argv<T>, describe: string): Argv<T & PoolArgs> {
  return yargs.option('pool', { type: 'string', coerce: once('pool'), requiresArg: true, describe });
}
