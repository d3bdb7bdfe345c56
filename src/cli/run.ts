import type { ArgumentsCamelCase } from 'yargs';
import { ExitCode } from './exit.js';

/**
 * One run of the CLI. It reaches handlers through yargs' parse context (merged into argv), so
 * that command modules stay plain static objects and still report their exit code to
 * `runCli` without touching `process.exitCode`.
 */
export class CliRun {
  exitCode: ExitCode = ExitCode.Ok;
}

const RUN_KEY = 'turbineCliRun';

/** The parse context that carries `run` to the handlers. */
export function runContext(run: CliRun): Record<string, CliRun> {
  return { [RUN_KEY]: run };
}

/**
 * Turns a body that returns an exit code into a yargs handler. Errors are not caught here:
 * they go through yargs' `fail` to `runCli`, which prints them and maps them to a code.
 */
export function handler<T>(
  body: (argv: ArgumentsCamelCase<T>) => Promise<ExitCode>,
): (argv: ArgumentsCamelCase<T>) => Promise<void> {
  return async (argv) => {
    const code = await body(argv);
    const run = argv[RUN_KEY];
    // Without a run (a handler called outside runCli) the code has nowhere to go but the process.
    if (run instanceof CliRun) run.exitCode = code;
    else process.exitCode = code;
  };
}
