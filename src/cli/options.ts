import type { Argv } from 'yargs';

/** Options every command that talks to Redis takes. */
export interface CommonArgs {
  'backend-url': string | undefined;
  prefix: string | undefined;
  shards: number | undefined;
  actor: string | undefined;
  json: boolean;
}

const GROUP = 'Common options:';

/**
 * A yargs `coerce` that refuses a repeated flag: yargs would pass on an array, and picking
 * either value silently could act on the wrong Redis or set the wrong limit.
 */
export function once(flag: string): (value: string | string[]) => string {
  return (value) => {
    if (Array.isArray(value)) throw new Error(`--${flag} was given more than once`);
    return value;
  };
}

/**
 * Adds `--backend-url`, `--prefix`, `--actor` and `--json`. The first three stay undefined when
 * not given, so that the library resolves them from the environment in one place (see
 * `resolveBackendUrl`, `RedisClientHolder`, `resolveActor`).
 */
export function withCommonOptions<T>(yargs: Argv<T>): Argv<T & CommonArgs> {
  return yargs
    .option('backend-url', {
      type: 'string',
      coerce: once('backend-url'),
      describe: 'Redis URL: redis://[:password@]host[:port][/db], redis+sentinel://host:port,…/<master-name>, redis+cluster://host:port,… (rediss… for TLS)',
      defaultDescription: '$TURBINE_BACKEND_URL, else redis://localhost:6379',
      requiresArg: true,
      group: GROUP,
    })
    .option('prefix', {
      type: 'string',
      coerce: once('prefix'),
      describe: 'Prefix of every Turbine key in Redis',
      defaultDescription: '$TURBINE_PREFIX, else turbine',
      requiresArg: true,
      group: GROUP,
    })
    .option('shards', {
      type: 'number',
      describe: 'Shards the tenants are spread over ({prefix-0} … {prefix-N-1}); the same as the workers’',
      defaultDescription: '$TURBINE_SHARDS, else 1',
      requiresArg: true,
      group: GROUP,
    })
    .option('actor', {
      type: 'string',
      coerce: once('actor'),
      describe: 'Who makes the change, for the audit trail',
      defaultDescription: '$TURBINE_ACTOR, else the OS user',
      requiresArg: true,
      group: GROUP,
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'Print JSON (snake_case fields) instead of a table',
      group: GROUP,
    });
}
