import type { Job } from 'bullmq';
import { ResultTooLargeError, TaskFailedError, type TurbineError } from '../errors.js';
import { HandlerTimeoutError } from '../worker/timeout.js';

/**
 * The worker stores a failure as BullMQ does, as a message and a stack whose first line is
 * `<name>: <message>`, plus a last line `code: <code>` when the error had one (see
 * {@link withCodeLine}). This rebuilds the error on the producer's side, as its own class where
 * Turbine raised it, so callers can `catch` a result that was too large or a timeout by class.
 */
export function remoteFailure(job: Job): TurbineError {
  const reason = job.failedReason || 'failed';
  const stack = job.stacktrace?.at(-1) ?? undefined;
  const name = /^([A-Za-z_$][\w$]*)(?::|$)/.exec(stack ?? '')?.[1] ?? 'Error';
  const code = CODE_LINE.exec(stack ?? '')?.[1];
  if (name === 'ResultTooLargeError') {
    const [, size, limit, tenant] = /(\d+) bytes > max_result_size_bytes (\d+) of tenant '([^']*)'/.exec(reason) ?? [];
    if (size && limit && tenant !== undefined) return new ResultTooLargeError(tenant, Number(size), Number(limit));
  }
  if (name === 'HandlerTimeoutError') {
    const ms = /after (\d+) ms/.exec(reason)?.[1];
    if (ms) return new HandlerTimeoutError(Number(ms));
  }
  return new TaskFailedError(job.id ?? '', reason, stack, name, code);
}

const CODE_LINE = /\n\s*code: (\S+)\s*$/;

/** The stack BullMQ stores for a failure: the error's own, plus its `code` when it has one. */
export function withCodeLine(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !error.stack) return error.stack;
  return `${error.stack}\n    code: ${code}`;
}
