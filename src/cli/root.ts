import yargs from 'yargs';

/**
 * The `turbine` command. Each command is a module registered here explicitly; handlers set the
 * exit code: 0 ok, 1 failure (e.g. not found), 2 bad usage or bad input.
 */
export async function runCli(argv: string[]): Promise<number> {
  let exitCode = 0;
  const parser = yargs(argv)
    .scriptName('turbine')
    .strict()
    .demandCommand(1)
    .recommendCommands()
    .help()
    .fail((message, error) => {
      if (error) throw error;
      console.error(`Error: ${message}\nRun 'turbine --help' for usage.`);
      exitCode = 2;
    });
  await parser.parseAsync();
  return exitCode;
}
