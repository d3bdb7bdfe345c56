import { classify } from '../core/classify.js';
import { coerceError } from '../core/errors.js';

/** The CLI's exit codes: 0 ok, 1 failure (not found, Redis away, …), 2 bad usage or bad input. */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Bad usage: an unknown flag or command (from yargs), a refused non-interactive delete. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A usage error from one of yargs' messages, pointing to the help. */
export function usageErrorFrom(reason: string): UsageError {
  // recommendCommands says only "Did you mean list?"; say what was wrong first.
  const text = reason.startsWith('Did you mean') ? `Unknown command; d${reason.slice(1)}` : reason;
  return new UsageError(`${text} (see --help)`);
}

/** The exit code for an error: bad input (2), like a {@link UsageError}; anything else a failure (1). */
export function exitCodeFor(thrown: unknown): ExitCode {
  if (thrown instanceof UsageError || classify(thrown) === 'bad_input') return ExitCode.Usage;
  return ExitCode.Failure;
}

/** `Error: <message>` on one line, never a stack trace: what people and log scrapers see. */
export function errorLine(thrown: unknown): string {
  const message = coerceError(thrown).message.replace(/\s*\n\s*/g, ' ').trim();
  return `Error: ${message || 'unknown error'}`;
}
