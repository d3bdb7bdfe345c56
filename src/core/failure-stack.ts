/**
 * How a failure's error code travels to the producer: BullMQ stores a failed job's stack, so the
 * worker appends a last line `code: <code>` to it when the error has a code, and
 * `AsyncResult.get()` reads it back to rethrow the failure by class and code.
 */

const CODE_LINE = /\n\s*code: (\S+)\s*$/;

/** The stack BullMQ stores for a failure: the error's own, plus its `code` when it has one. */
export function withCodeLine(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !error.stack) return error.stack;
  return `${error.stack}\n    code: ${code}`;
}

/** The code a stack written by {@link withCodeLine} carries, if any. */
export function codeInStack(stack: string | undefined): string | undefined {
  return CODE_LINE.exec(stack ?? '')?.[1];
}
