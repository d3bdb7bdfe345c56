import type { Argv, CommandModule } from 'yargs';
import { configFlagOptions, flagValues } from '../../../config/flags.js';
import { loadConfig, printableValue, type ConfigSource } from '../../../config/load.js';
import { getPath, listOptions, setPath } from '../../../config/options.js';
import { ExitCode } from '../../exit.js';
import { print, printJson, renderTable, showValue } from '../../output.js';
import { handler } from '../../run.js';

interface PrintArgs {
  config: string | undefined;
  json: boolean;
}

/**
 * Adds a flag per option (`--health-port`, …). Their values are read back by name with
 * `flagValues`, so their types need not reach argv's: yargs would otherwise widen argv to an
 * index signature that swallows the command's own options.
 */
function withConfigFlags<T>(yargs: Argv<T>): Argv<T> {
  return yargs.options(configFlagOptions()) as unknown as Argv<T>;
}

interface PrintedOption {
  path: string;
  value: unknown;
  source: ConfigSource;
  envVar: string;
}

/**
 * `turbine config print`: the configuration a `turbine-worker` started with the same file,
 * environment and flags would run with, each value with where it came from; secrets redacted.
 */
export const printCommand: CommandModule<object, PrintArgs> = {
  command: 'print',
  describe: 'Print the effective worker configuration and the source of each value (secrets redacted)',
  builder: (yargs) =>
    withConfigFlags(yargs)
      .option('config', {
        type: 'string',
        requiresArg: true,
        describe: 'YAML or JSON configuration file, as given to turbine-worker',
        defaultDescription: '$TURBINE_CONFIG',
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON: { file, config, sources }' }),
  handler: handler(async (argv) => {
    const file = argv.config ?? (process.env.TURBINE_CONFIG || undefined);
    const loaded = loadConfig({ file, env: process.env, flags: flagValues(argv) });
    const options: PrintedOption[] = listOptions().map((option) => ({
      path: option.path,
      value: printableValue(option, getPath(loaded.config, option.path)),
      source: loaded.sources[option.path] ?? 'default',
      envVar: option.envVar,
    }));
    if (argv.json) {
      const config: Record<string, unknown> = {};
      // An unset option (the app module) is null rather than missing, so every option is listed.
      for (const option of options) setPath(config, option.path, option.value ?? null);
      printJson({ file: file ?? null, config, sources: Object.fromEntries(options.map((o) => [o.path, o.source])) });
      return ExitCode.Ok;
    }
    print(`Configuration file: ${file ?? 'none'}`);
    print(
      renderTable(options, [
        { header: 'option', value: (o) => o.path },
        { header: 'value', value: (o) => (o.value === undefined ? '-' : showValue(o.value)) },
        { header: 'source', value: (o) => o.source },
        { header: 'env', value: (o) => o.envVar },
      ]),
    );
    return ExitCode.Ok;
  }),
};
