import type { CommandModule } from 'yargs';
import { loadConfig } from '../../../config/load.js';
import { ExitCode } from '../../exit.js';
import { print, printJson } from '../../output.js';
import { handler } from '../../run.js';

interface ValidateArgs {
  file: string;
  json: boolean;
}

/**
 * `turbine config validate <file>`: checks a configuration file alone (the environment and
 * flags are left out, so the verdict is about the file). An invalid file is bad input: the
 * error names the option and the command exits 2.
 */
export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate <file>',
  describe: 'Check a worker configuration file: exit 0 if valid, 2 with the bad option named if not',
  builder: (yargs) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'YAML or JSON configuration file' })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON: { file, valid }' }),
  handler: handler(async (argv) => {
    loadConfig({ file: argv.file, env: {}, flags: {} });
    if (argv.json) printJson({ file: argv.file, valid: true });
    else print(`${argv.file}: valid`);
    return ExitCode.Ok;
  }),
};
